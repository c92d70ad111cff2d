/**
 * Reading version files' head fields (`model`, `version`, `stage`, by the line scan of
 * domain/scan.ts) from the checkout, for a whole-registry listing. Runs on the main thread,
 * and for large registries also on a worker thread (head-reader.ts): this module is that
 * worker's script.
 *
 * A file is taken from the checkout only when its Git blob id is the one in the tree (then it
 * is the same bytes; about 9 µs a file against about 25 µs through a packfile delta chain).
 * Anything else is null, and the caller reads it from the object database or parses it in full.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { hashBlob } from './objects.js';
import { workerFault } from './fault.js';
import { scanVersionHead } from '../domain/scan.js';

export type Head = [model: string, version: string, stage: string];
export interface HeadRequest { id: number; paths: string[]; oids: string[] }
export interface HeadReply { id: number; heads: Array<Head | null> }

const utf8 = new TextDecoder('utf-8', { fatal: true });
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Reads from the checkout while it keeps matching the trees (it stops after many misses:
 * another commit is checked out). Only regular files are read (no links, FIFOs or devices).
 * Reads go into one reused buffer, without an allocation per file: the bytes returned are
 * valid until the next read.
 */
export class CheckoutReader {
  private hits = 0;
  private misses = 0;
  private buf = Buffer.allocUnsafe(64 * 1024);
  constructor(readonly root: string | undefined) {}

  read(path: string, oid: string): Buffer | undefined {
    if (!this.root || (this.misses >= 64 && this.misses >= this.hits)) return undefined;
    try {
      const bytes = this.readFile(join(this.root, path));
      if (hashBlob(bytes) === oid) { this.hits++; return bytes; }
    } catch {
      /* gone or unreadable: the object database answers */
    }
    this.misses++;
    return undefined;
  }

  private readFile(file: string): Buffer {
    // Never through a symbolic link, never blocking on a FIFO or device: only regular files.
    const fd = openSync(file, OPEN_FLAGS);
    try {
      if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
      let n = 0;
      for (;;) {
        if (n === this.buf.length) {
          // Registry files are at most 1 MB (check refuses more); a bigger one is read from the objects.
          if (n >= 2 * 1024 * 1024) throw new Error('too large to read from the checkout');
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger, 0, 0, n);
          this.buf = bigger;
        }
        const r = readSync(fd, this.buf, n, this.buf.length - n, null);
        if (r === 0) return this.buf.subarray(0, n);
        n += r;
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Heads of checked-out version files; null where the checkout does not hold the committed bytes or the scan declines. */
export function readHeads(checkout: CheckoutReader, req: HeadRequest): HeadReply {
  const heads = req.paths.map((path, i): Head | null => {
    const bytes = checkout.read(path, req.oids[i]);
    if (!bytes) return null;
    try {
      const h = scanVersionHead(utf8.decode(bytes));
      return h ? [h.model, h.version, h.stage] : null;
    } catch {
      return null; // not UTF-8: the caller's full read reports it
    }
  });
  return { id: req.id, heads };
}

if (parentPort && workerData?.modelregHeadWorker) {
  const port = parentPort;
  const checkout = new CheckoutReader(workerData.root as string);
  port.on('message', (req: HeadRequest) => {
    workerFault('head-worker');
    port.postMessage(readHeads(checkout, req));
  });
}
