/** When did a version enter its current stage? Derived from file contents along history. */
import YAML from 'yaml';
import type { Snapshot } from '../storage/snapshot.js';
import { firstParentLog } from '../storage/history.js';

export interface StageEntry {
  /** The commit that moved the version into `stage`. */
  commit: string;
  at: Date;
  author: string;
}

/**
 * Walks first-parent history from the snapshot's commit back to the commit that put `file`
 * into `stage` (the oldest commit of the unbroken run with that stage).
 */
export async function stageEnteredAt(snap: Snapshot, file: string, stage: string, maxCommits = 5000): Promise<StageEntry | undefined> {
  let entered: StageEntry | undefined;
  let lastBlob: string | undefined;
  let lastStage: string | undefined;
  let n = 0;
  for await (const c of firstParentLog(snap.store, snap.commit)) {
    if (++n > maxCommits) break;
    const e = await snap.store.entryAt(c.tree, file);
    if (!e) break;
    let s = lastStage;
    if (e.oid !== lastBlob) {
      try {
        s = (YAML.parse(await snap.store.readText(e.oid)) as { stage?: string })?.stage;
      } catch {
        break;
      }
      lastBlob = e.oid;
      lastStage = s;
    }
    if (s !== stage) break;
    entered = { commit: c.oid, at: new Date(c.committer.timestamp * 1000), author: c.author.email };
  }
  return entered;
}
