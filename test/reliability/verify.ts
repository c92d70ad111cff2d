/**
 * The "nothing lost" checks shared by the concurrency suites: the workers' logs of what
 * reported success against the branch's history and against the registry files at its tip.
 * Each check returns the problems it found (empty when all is well), so a failing run lists
 * every lost, duplicated or phantom operation at once.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { gitA, type Commit } from './util.js';

export interface LogEntry {
  worker: number;
  ok: boolean;
  op: 'register' | 'tag' | 'alias' | 'transition';
  index: number;
  model: string;
  version?: string;
  commit?: string;
  artifact?: string;
  key?: string;
  alias?: string;
  from?: string;
  stage?: string;
  pushed?: boolean;
  attempts?: number;
  reruns?: number;
  rerun?: boolean;
  code?: number | null;
  signal?: string | null;
  error?: string;
  message?: string;
  ms: number;
}

export async function readLogs(files: string[]): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line.trim()) out.push(JSON.parse(line) as LogEntry);
  }
  return out;
}

/** The trailers a commit of this successful operation must carry. */
export function expectedTrailers(e: LogEntry): Record<string, string> {
  switch (e.op) {
    case 'register': return { 'Modelreg-Action': 'register', 'Modelreg-Model': e.model, 'Modelreg-Version': e.version!, 'Modelreg-Stage': 'None' };
    case 'tag': return { 'Modelreg-Action': 'tag', 'Modelreg-Model': e.model, 'Modelreg-Version': e.version! };
    case 'alias': return { 'Modelreg-Action': 'alias', 'Modelreg-Model': e.model, 'Modelreg-Alias': e.alias!, 'Modelreg-Version': e.version! };
    case 'transition': return { 'Modelreg-Action': 'transition', 'Modelreg-Model': e.model, 'Modelreg-Version': e.version!, 'Modelreg-From': e.from!, 'Modelreg-To': e.stage! };
  }
}

function matches(c: Commit, e: LogEntry): boolean {
  const want = expectedTrailers(e);
  const keys = Object.keys(c.trailers);
  if (keys.length !== Object.keys(want).length) return false;
  if (!keys.every((k) => c.trailers[k] === want[k])) return false;
  return e.op !== 'tag' || c.subject.includes(`${e.key}=`);
}

const signature = (e: LogEntry) => JSON.stringify([expectedTrailers(e), e.op === 'tag' ? e.key : '']);

export interface HistoryFigures {
  commits: number;
  successes: number;
  merges: number;
  problems: string[];
}

/**
 * Every success is in `history` exactly once, by commit id and by its trailers; nothing is in
 * the history that no one reported (beyond the `initial` commits); the branch is linear; the
 * registered versions are distinct.
 */
export function checkHistory(history: Commit[], successes: LogEntry[], initial: number): HistoryFigures {
  const problems: string[] = [];
  const byId = new Map<string, number>();
  for (const c of history) byId.set(c.commit, (byId.get(c.commit) ?? 0) + 1);
  const reported = new Map<string, LogEntry[]>();
  for (const s of successes) {
    const who = `worker ${s.worker} op ${s.index} (${s.op} ${s.model} ${s.version ?? ''})`;
    if (!s.commit) { problems.push(`${who} reported success without a commit`); continue; }
    const n = byId.get(s.commit) ?? 0;
    if (n !== 1) problems.push(`${who} reported commit ${s.commit}, which is in the history ${n} times`);
    const list = reported.get(s.commit) ?? [];
    list.push(s);
    reported.set(s.commit, list);
    const c = history.find((x) => x.commit === s.commit);
    if (c && !matches(c, s)) problems.push(`${who}: commit ${s.commit.slice(0, 12)} carries ${JSON.stringify(c.trailers)} / "${c.subject}", not the operation's trailers ${JSON.stringify(expectedTrailers(s))}`);
  }
  for (const [commit, list] of reported) if (list.length > 1) problems.push(`commit ${commit} was reported by ${list.length} operations`);
  // By trailers: as many commits carry an operation's trailers as operations reported them.
  const want = new Map<string, LogEntry[]>();
  for (const s of successes) want.set(signature(s), [...(want.get(signature(s)) ?? []), s]);
  for (const [, list] of want) {
    const n = history.filter((c) => matches(c, list[0])).length;
    if (n !== list.length) problems.push(`${list.length} successful operation(s) ${JSON.stringify(expectedTrailers(list[0]))}${list[0].key ? ` key ${list[0].key}` : ''} but ${n} commit(s) with those trailers`);
  }
  // Nothing committed that no one reported.
  const unreported = history.filter((c) => !reported.has(c.commit));
  if (unreported.length !== initial) problems.push(`${unreported.length} commits nobody reported (expected the ${initial} initial one(s)): ${unreported.slice(0, 5).map((c) => `${c.commit.slice(0, 12)} ${c.subject}`).join('; ')}`);
  if (history.length !== initial + successes.length) problems.push(`the branch has ${history.length} commits; expected ${initial} initial + ${successes.length} successes`);
  const merges = history.filter((c) => c.parents.length > 1);
  if (merges.length) problems.push(`the branch is not linear: ${merges.length} merge commits`);
  // Linear also means each commit's parent is the next one in the log (no side branches).
  for (let i = 0; i + 1 < history.length; i++) {
    if (history[i].parents[0] !== history[i + 1].commit) { problems.push(`history is not one chain at ${history[i].commit.slice(0, 12)}`); break; }
  }
  // Versions distinct: among the successes and among the register commits.
  const seen = new Map<string, number>();
  for (const c of history) {
    if (c.trailers['Modelreg-Action'] !== 'register') continue;
    const k = `${c.trailers['Modelreg-Model']}@${c.trailers['Modelreg-Version']}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  for (const [k, n] of seen) if (n > 1) problems.push(`${k} was registered ${n} times`);
  const regs = successes.filter((s) => s.op === 'register').map((s) => `${s.model}@${s.version}`);
  const dup = regs.filter((k, i) => regs.indexOf(k) !== i);
  if (dup.length) problems.push(`versions reported twice: ${[...new Set(dup)].join(', ')}`);
  return { commits: history.length, successes: successes.length, merges: merges.length, problems };
}

/**
 * The registry files at `rev` hold what the successes say: every registered version with its
 * artifact, every tag, each worker's alias at the last version it set, each version in the
 * stage of its last transition.
 */
export async function checkState(cwd: string, gitPrefix: string[], rev: string, successes: LogEntry[]): Promise<string[]> {
  const problems: string[] = [];
  const show = async (path: string): Promise<any> => {
    try { return parseYaml(await gitA(cwd, [...gitPrefix, 'show', `${rev}:${path}`])); } catch { return undefined; }
  };
  const models = new Map<string, any>();
  const versions = new Map<string, any>();
  for (const s of successes) {
    if (!models.has(s.model)) models.set(s.model, await show(`registry/${s.model}/model.yaml`));
    const k = `${s.model}@${s.version}`;
    if (s.version && !versions.has(k)) versions.set(k, await show(`registry/${s.model}/versions/${s.version}.yaml`));
  }
  const lastStage = new Map<string, string>();
  const lastAlias = new Map<string, string>();
  for (const s of successes) {
    const k = `${s.model}@${s.version}`;
    const v = versions.get(k);
    if (!v) { problems.push(`${k} (reported by worker ${s.worker}) is not in the registry at ${rev}`); continue; }
    if (s.op === 'register' && v.artifact?.uri !== s.artifact) problems.push(`${k}: artifact ${v.artifact?.uri}, but worker ${s.worker} registered ${s.artifact}`);
    if (s.op === 'tag' && !(s.key! in (v.tags ?? {}))) problems.push(`${k}: tag ${s.key} (worker ${s.worker}) is missing`);
    if (s.op === 'transition') lastStage.set(k, s.stage!);
    if (s.op === 'alias') lastAlias.set(`${s.model}@${s.alias}`, s.version!);
  }
  // Within one worker the log is in order; stage and alias changes of a key come from one worker only.
  for (const [k, stage] of lastStage) if (versions.get(k)?.stage !== stage) problems.push(`${k}: stage ${versions.get(k)?.stage}, but its last reported transition was to ${stage}`);
  for (const [k, version] of lastAlias) {
    const [model, alias] = k.split('@');
    const at = models.get(model)?.aliases?.[alias];
    if (at !== version) problems.push(`${model} alias ${alias} points at ${at}, but it was last set to ${version}`);
  }
  return problems;
}
