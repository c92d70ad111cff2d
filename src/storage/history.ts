/**
 * History: walking commits and comparing two trees while skipping every subtree whose id is
 * equal, so the cost of a comparison follows the size of the change, not of the registry.
 */
import { readRef } from './refs.js';
import { RegistryError } from '../errors/index.js';
import type { CommitInfo, ObjectStore } from './objects.js';
import { parseGitDate } from './repo.js';
import { changedFiles } from './tree-diff.js';
import { EventIndex } from './event-index.js';

export interface ChangedPath {
  path: string;
  before?: string;
  after?: string;
}

/** Blob paths that differ between two trees (undefined = empty tree), under `prefix`; equal subtrees are skipped, large trees compared as bytes (tree-diff.ts). */
export async function changedPaths(store: ObjectStore, a: string | undefined, b: string | undefined, prefix = ''): Promise<ChangedPath[]> {
  return changedFiles(store, a, b, prefix);
}

/** Commits reachable from `oid` along first parents, newest first. */
export async function* firstParentLog(store: ObjectStore, oid: string | undefined, stopAt?: string): AsyncGenerator<CommitInfo> {
  let cur = oid;
  while (cur && cur !== stopAt) {
    const c = await store.readCommit(cur);
    yield c;
    cur = c.parents[0];
  }
}

/** Resolves a branch, tag, `HEAD`, full or abbreviated commit id to a commit id. */
export async function resolveCommitish(store: ObjectStore, ref: string): Promise<string> {
  // Git's ancestry suffixes: HEAD~2, main^, v1^^.
  const suffix = /^(.+?)((?:~\d*|\^1?)+)$/.exec(ref);
  if (suffix && !/^[0-9a-f]{40}$/.test(ref)) {
    let oid = await resolveCommitish(store, suffix[1]);
    for (const step of suffix[2].match(/~\d*|\^1?/g) ?? []) {
      const n = step.startsWith('~') ? (step.length > 1 ? Number(step.slice(1)) : 1) : 1;
      for (let i = 0; i < n; i++) {
        const parent = (await store.readCommit(oid)).parents[0];
        if (!parent) throw new RegistryError('NOT_FOUND', `${ref}: the history is not that long. Check it with \`git log --oneline\`.`, { ref });
        oid = parent;
      }
    }
    return oid;
  }
  let oid = await readRef(store.gitdir, ref);
  // A full id names itself (a write's own snapshot of its commit asks): listing every packed id
  // to expand it took 20 ms in a repository of 11,000 commits.
  if (!oid && /^[0-9a-f]{40}$/i.test(ref) && store.odb.has(ref.toLowerCase())) oid = ref.toLowerCase();
  if (!oid && /^[0-9a-f]{4,40}$/i.test(ref)) {
    const hits = store.odb.expand(ref.toLowerCase());
    if (hits.length > 1) throw new RegistryError('BAD_INPUT', `${ref} is ambiguous: it abbreviates ${hits.length} objects. Give more characters.`, { ref });
    oid = hits[0];
  }
  if (!oid) throw new RegistryError('NOT_FOUND', `No branch, tag or commit named ${JSON.stringify(ref)}. Check the name with \`git log --oneline\` or \`git branch -a\`.`, { ref });
  // Peel annotated tags to their commit.
  for (let i = 0; i < 10; i++) {
    const o = store.odb.read(oid);
    if (!o) break;
    if (o.type === 'commit') return oid;
    const target = o.type === 'tag' ? /^object ([0-9a-f]{40})$/m.exec(o.content.toString('latin1'))?.[1] : undefined;
    if (target) { oid = target; continue; }
    throw new RegistryError('BAD_INPUT', `${ref} names a ${o.type}, not a commit.`, { ref });
  }
  throw new RegistryError('NOT_FOUND', `${ref} points at an object that is missing from the repository.`, { ref });
}

/** The last commit on the first-parent history of `tip` made at or before `date`. */
export async function commitAtDate(store: ObjectStore, tip: string | undefined, date: Date): Promise<string | undefined> {
  const t = date.getTime() / 1000;
  // The event index holds each commit's time: a date 10,000 commits back reads its segments,
  // not 10,000 commit objects (which it reads where no segment covers the history).
  for await (const c of EventIndex.open(store.gitdir).times(store, tip)) if (c.ct <= t) return c.c;
  return undefined;
}

/** `--at` and `--since` accept a ref or a date (ISO 8601, `2026-03-01`, or Git's `@<unix>`). */
export function parseDateArg(input: string): Date | undefined {
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(input)) {
    const d = new Date(input.length === 10 ? `${input}T23:59:59.999Z` : input);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (/^@\d+$/.test(input)) return new Date(parseGitDate(input)!.timestamp * 1000);
  return undefined;
}
