/** Text renderers for people. Pure: data in, text out. */
import type { ModelVersion } from '../domain/state.js';
import type { DeploymentView } from '../domain/deployments.js';
import type { ModelSummary, ShowModelResult } from '../ops/read.js';
import type { HistoryEntry } from '../ops/history.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

function stagesText(stages: Record<string, string[]>): string {
  return Object.entries(stages).filter(([s]) => s !== 'Archived' && s !== 'None').map(([s, vs]) => `${s}: ${vs.join(', ')}`).join('; ');
}

/** `staging=2.1.0 production=2.0.0(failed)`: each environment's version, its status when not succeeded. */
export function deploymentsText(d: Record<string, DeploymentView> | undefined): string {
  return Object.entries(d ?? {}).map(([env, x]) => `${env}=${x.version}${x.status === 'succeeded' ? '' : `(${x.status})`}`).join(' ');
}

export function renderList(models: ModelSummary[]): string {
  if (!models.length) return 'No models yet. Register one: modelreg register NAME --artifact URI';
  // The column appears once a deployment is recorded (deploy record).
  const deployed = models.some((m) => m.deployments);
  return table([
    ['MODEL', 'LATEST', 'VERSIONS', 'STAGES', 'ALIASES', ...(deployed ? ['DEPLOYED'] : [])],
    ...models.map((m) => [m.name, m.latest ?? '-', String(m.versions), stagesText(m.stages) || '-', Object.entries(m.aliases).map(([a, v]) => `@${a}=${v}`).join(' ') || '-', ...(deployed ? [deploymentsText(m.deployments) || '-'] : [])]),
  ]);
}

function metricsText(m?: Record<string, number>): string {
  return Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
}

export function renderModel(r: ShowModelResult): string {
  const m = r.model;
  const head = [
    `${m.name}${m.description ? ` — ${m.description}` : ''}`,
    `owners: ${(m.owners ?? []).join(', ') || '-'}   policy: ${m.policy ?? 'default'}${Object.keys(m.aliases ?? {}).length ? `   aliases: ${Object.entries(m.aliases ?? {}).map(([a, v]) => `@${a}=${v}`).join(' ')}` : ''}`,
    ...(Object.keys(m.tags ?? {}).length ? [`tags: ${Object.entries(m.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
    ...(Object.keys(r.deployments ?? {}).length ? [`deployed: ${deploymentsText(r.deployments)}`] : []),
    '',
  ];
  const rows = [['VERSION', 'STAGE', 'CREATED', 'BY', 'METRICS'], ...r.versions.map((v) => [v.version + (v.deprecated ? ' (deprecated)' : ''), v.stage, v.created.at.slice(0, 10), v.created.by, metricsText(v.metrics)])];
  return head.join('\n') + table(rows);
}

/** A version's record; `deployments`: the environments it is deployed in. */
export function renderVersion(v: ModelVersion, deployments: Record<string, DeploymentView> = {}): string {
  const lines = [
    `${v.model} ${v.version}  [${v.stage}]${v.deprecated ? '  (deprecated)' : ''}`,
    ...(v.description ? [v.description] : []),
    `artifact:  ${v.artifact.uri}`,
    ...(v.artifact.digest ? [`digest:    ${v.artifact.digest}${v.artifact.size !== undefined ? ` (${v.artifact.size} bytes)` : ''}`] : []),
    ...(v.framework ? [`framework: ${v.framework.name}${v.framework.version ? ` ${v.framework.version}` : ''}`] : []),
    `created:   ${v.created.at} by ${v.created.by}`,
    ...(v.metrics ? [`metrics:   ${metricsText(v.metrics)}`] : []),
    ...(v.params ? [`params:    ${Object.entries(v.params).map(([k, p]) => `${k}=${p}`).join(' ')}`] : []),
    ...(v.tags ? [`tags:      ${Object.entries(v.tags).map(([k, t]) => `${k}=${t}`).join(' ')}`] : []),
    ...(v.lineage?.run ? [`run:       ${[v.lineage.run.id, v.lineage.run.experiment, v.lineage.run.uri].filter(Boolean).join(' ')}`] : []),
    ...(v.lineage?.code ? [`code:      ${[v.lineage.code.repo, v.lineage.code.commit].filter(Boolean).join(' @ ')}`] : []),
    ...(v.origin ? [`origin:    ${v.origin.model} ${v.origin.version}${v.origin.stage ? ` (${v.origin.stage})` : ''} of ${v.origin.registry} @ ${v.origin.commit.slice(0, 12)}`] : []),
    ...(v.lineage?.data?.length ? [`data:      ${v.lineage.data.map((d) => `${d.name}${d.version ? `@${d.version}` : ''}`).join(', ')}`] : []),
    ...(v.signature ? [`signature: ${plural((v.signature.inputs ?? []).length, 'input')}, ${plural((v.signature.outputs ?? []).length, 'output')}`] : []),
    ...(v.approvals?.length ? ['approvals:', ...v.approvals.map((a) => `  ${a.stage}: ${a.by} at ${a.at}${a.comment ? ` — ${a.comment}` : ''}`)] : []),
    ...(Object.keys(deployments).length ? ['deployed:', ...Object.entries(deployments).map(([env, d]) => `  ${env}: ${d.status}${d.url ? ` at ${d.url}` : ''} (${d.at} by ${d.by})`)] : []),
  ];
  return lines.join('\n');
}

export function renderHistory(entries: HistoryEntry[]): string {
  if (!entries.length) return 'No history.';
  return entries.map((e) => `${e.commit.slice(0, 12)}  ${e.time.replace('T', ' ').slice(0, 19)}  ${e.author}\n${e.events.map((x) => `  ${x.description}`).join('\n')}`).join('\n');
}

/** The policy checklist (worded in one place, policy/checklist.ts). */
export { renderChecklist } from '../policy/checklist.js';

export function renderSearch(versions: ModelVersion[], orderBy: string): string {
  if (!versions.length) return 'No matching versions.';
  const metric = orderBy.startsWith('metrics.') ? orderBy.slice('metrics.'.length) : undefined;
  return table([
    ['MODEL', 'VERSION', 'STAGE', metric ? metric.toUpperCase() : 'CREATED', 'METRICS'],
    ...versions.map((v) => [v.model, v.version, v.stage, metric ? String(v.metrics?.[metric] ?? '-') : v.created.at.slice(0, 10), metricsText(v.metrics)]),
  ]);
}

export function renderCompare(c: import('../ops/search.js').Comparison): string {
  const show = (x: unknown) => (x === undefined ? '-' : String(x));
  return `${c.model}: ${c.a} vs ${c.b}\n` + table([
    ['', 'FIELD', c.a, c.b, 'DELTA'],
    ...c.rows.map((r) => [r.same ? ' ' : '*', `${r.section === r.key ? r.key : `${r.section}.${r.key}`}`, show(r.a), show(r.b), r.delta !== undefined ? (r.delta > 0 ? `+${r.delta}` : String(r.delta)) : '']),
  ]);
}
