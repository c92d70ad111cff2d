/**
 * A webhook's delivery cursor: the Git ref `refs/modelreg/notify/<name>`, pointing at a chain of
 * small commits (empty tree, off the registry branch), one per delivery, each naming the last
 * event handled. The chain is the delivery log (`notify --log`), and pushing the ref shares
 * both with every CI run. The ref moves by compare-and-swap: two runs at once cannot both move it.
 */
import { parseCommitMessage, trailerValue } from '../domain/trailers.js';
import { type ObjectStore, type Person } from './objects.js';
import { compareAndSwapRef, readRef } from './refs.js';

export const NOTIFY_REF_PREFIX = 'refs/modelreg/notify/';

export interface CursorEntry {
  /** The cursor commit. */
  oid: string;
  /** Everything up to and including this event id was handled (sent, or not for this webhook). */
  through: string;
  /** The event sent by this entry (absent for an entry that only moves past skipped events). */
  sent?: string;
  status?: number;
  attempts?: number;
  time: string;
}

const DELIVERER = { name: 'modelreg notify', email: 'notify@modelreg.invalid' };

function entryOf(oid: string, message: string, time: number): CursorEntry | undefined {
  const msg = parseCommitMessage(message);
  const through = trailerValue(msg, 'Modelreg-Through');
  if (!through) return undefined;
  const sent = trailerValue(msg, 'Modelreg-Sent');
  const status = trailerValue(msg, 'Modelreg-Status');
  const attempts = trailerValue(msg, 'Modelreg-Attempts');
  return {
    oid, through, time: new Date(time * 1000).toISOString(),
    ...(sent ? { sent } : {}), ...(status ? { status: Number(status) } : {}), ...(attempts ? { attempts: Number(attempts) } : {}),
  };
}

export class NotifyCursor {
  readonly ref: string;
  private tip?: string;
  constructor(private readonly gitdir: string, private readonly store: ObjectStore, readonly webhook: string) {
    this.ref = NOTIFY_REF_PREFIX + webhook;
  }

  /** The last entry, or undefined when nothing was delivered yet. */
  async read(): Promise<CursorEntry | undefined> {
    this.tip = await readRef(this.gitdir, this.ref);
    if (!this.tip) return undefined;
    const c = await this.store.readCommit(this.tip);
    return entryOf(c.oid, c.message, c.committer.timestamp);
  }

  /** Records that everything through `through` is handled (and `sent` was delivered). */
  async advance(e: { through: string; sent?: string; status?: number; attempts?: number; url?: string }, now: Date): Promise<void> {
    const who: Person = { ...DELIVERER, timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: 0 };
    const subject = e.sent ? `Delivered ${e.sent} to ${this.webhook}` : `Handled events through ${e.through} for ${this.webhook}`;
    const trailers = [
      `Modelreg-Through: ${e.through}`,
      ...(e.sent ? [`Modelreg-Sent: ${e.sent}`] : []),
      ...(e.status !== undefined ? [`Modelreg-Status: ${e.status}`] : []),
      ...(e.attempts !== undefined ? [`Modelreg-Attempts: ${e.attempts}`] : []),
    ];
    const message = `${subject}\n\n${trailers.join('\n')}\n`;
    const tree = await this.store.writeTree([]); // the empty tree, written so the chain is whole when pushed
    const oid = await this.store.writeCommit({ tree, parents: this.tip ? [this.tip] : [], author: who, committer: who, message });
    await compareAndSwapRef(this.gitdir, this.ref, this.tip, oid, { who, message: subject });
    this.tip = oid;
  }

  /** The delivery log, newest first (at most `limit` entries). */
  async log(limit = 100): Promise<CursorEntry[]> {
    const out: CursorEntry[] = [];
    let cur = await readRef(this.gitdir, this.ref);
    while (cur && out.length < limit) {
      const c = await this.store.readCommit(cur);
      const e = entryOf(c.oid, c.message, c.committer.timestamp);
      if (e) out.push(e);
      cur = c.parents[0];
    }
    return out;
  }
}
