/**
 * A queue of version files whose head fields a listing needs, read from the checkout by
 * head-worker.ts `readHeads`. For a large registry a worker thread takes batches from the
 * front while the main thread is still walking the model folders, and the main thread, once
 * its walk is done, takes batches from the back until they meet: opening and reading 100k
 * files is most of a cold listing, and this puts the machine's second core on it. (Walking
 * the trees on both threads measured slower: each thread inflated the same delta bases and
 * held its own copy of the pack.)
 *
 * The answers do not depend on which thread read a file. A worker that fails or exits hands
 * its batches back to the main thread.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readHeads, type CheckoutReader, type Head, type HeadReply } from './head-worker.js';

const BATCH = 512;
const IN_FLIGHT = 2;

interface Batch { id: number; start: number; end: number }

/** The worker script: dist/storage/head-worker.js, both from the library and from the CLI bundle in dist/bundle/. */
function workerFile(): string | undefined {
  const file = fileURLToPath(new URL('../storage/head-worker.js', import.meta.url));
  return existsSync(file) ? file : undefined;
}

export class HeadQueue {
  readonly heads: Array<Head | null | undefined> = [];
  /** Files the worker thread read. */
  byWorker = 0;
  private paths: string[] = [];
  private oids: string[] = [];
  private queue: Batch[] = [];
  private sent = new Map<number, Batch>();
  private cut = 0;
  private nextId = 0;
  private worker?: Worker;
  private wake?: () => void;

  /** `threads`: start a worker thread to help (when one can run here). */
  constructor(private readonly checkout: CheckoutReader, threads: boolean) {
    const file = threads && checkout.root ? workerFile() : undefined;
    if (!file) return;
    try {
      this.worker = new Worker(file, { workerData: { modelregHeadWorker: true, root: checkout.root } });
    } catch {
      return;
    }
    this.worker.on('message', (r: HeadReply) => this.receive(r));
    this.worker.on('error', () => this.lose());
    this.worker.on('exit', () => this.lose());
  }

  get size(): number {
    return this.paths.length;
  }

  /** Queues one file; returns its index in `heads`. */
  add(path: string, oid: string): number {
    this.paths.push(path);
    this.oids.push(oid);
    this.heads.push(undefined);
    if (this.worker && this.paths.length - this.cut >= BATCH) this.flush();
    return this.paths.length - 1;
  }

  /** Lets the worker's replies in (call now and then during a long synchronous walk). */
  async yield(): Promise<void> {
    if (this.worker) await new Promise((r) => setImmediate(r));
  }

  /** Reads what is left, sharing the queue with the worker, then stops the worker. */
  async finish(): Promise<void> {
    try {
      this.flush();
      for (;;) {
        const b = this.queue.pop();
        if (b) {
          this.fill(b, readHeads(this.checkout, this.request(b)).heads);
          await this.yield();
          continue;
        }
        if (!this.sent.size) break;
        await new Promise<void>((r) => { this.wake = r; });
        this.wake = undefined;
      }
    } finally {
      await this.stop();
    }
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate().catch(() => undefined);
  }

  private flush(): void {
    if (this.paths.length > this.cut) {
      this.queue.push({ id: this.nextId++, start: this.cut, end: this.paths.length });
      this.cut = this.paths.length;
    }
    while (this.worker && this.sent.size < IN_FLIGHT && this.queue.length) {
      const b = this.queue.shift()!;
      this.sent.set(b.id, b);
      this.worker.postMessage(this.request(b));
    }
  }

  private request(b: Batch) {
    return { id: b.id, paths: this.paths.slice(b.start, b.end), oids: this.oids.slice(b.start, b.end) };
  }

  private fill(b: Batch, heads: Array<Head | null>): void {
    for (let i = 0; i < heads.length; i++) this.heads[b.start + i] = heads[i];
  }

  private receive(r: HeadReply): void {
    const b = this.sent.get(r.id);
    if (!b) return;
    this.sent.delete(r.id);
    this.byWorker += r.heads.length;
    this.fill(b, r.heads);
    this.flush();
    if (!this.sent.size) this.wake?.();
  }

  private lose(): void {
    this.worker = undefined;
    this.queue.push(...this.sent.values());
    this.sent.clear();
    this.wake?.();
  }
}
