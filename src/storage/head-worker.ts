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
import { join, sep } from 'node:path';
import * as crypto from 'node:crypto';
import { workerFault } from './fault.js';
import { scanVersionHead } from '../domain/scan.js';

export type Head = [model: string, version: string, stage: string];
export interface HeadRequest { id: number; paths: string[]; oids: string[] }
export interface HeadReply { id: number; heads: Array<Head | null> }

const utf8 = new TextDecoder('utf-8', { fatal: true });
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Room kept in front of a file's bytes in the read buffer for its Git blob header (`blob <size>\0`). */
const HEADER_ROOM = 32;
/** Registry files are at most 1 MB (check refuses more); a bigger one is read from the objects. */
const MAX_CHECKOUT_READ = 2 * 1024 * 1024;
/** One-shot hashing (Node >= 20.12): no Hash object and no second update per file. */
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'hex') => string }).hash;

/**
 * Reads from the checkout while it keeps matching the trees (it stops after many misses:
 * another commit is checked out). Only regular files are read (no links, FIFOs or devices).
 * Reads go into one reused buffer, without an allocation per file: the bytes returned are
 * valid until the next read.
 *
 * A file costs four system calls (open, fstat, one read of the size fstat gave, close) and one
 * hash of the header and bytes in place: a cold list of 10k versions spends most of its time
 * here. The hash is what makes this safe: a file that changed between fstat and read, or
 * that was read short, does not hash to the tree's id and is read from the objects instead.
 */
export class CheckoutReader {
  private hits = 0;
  private misses = 0;
  private buf = Buffer.allocUnsafe(64 * 1024);
  private readonly prefix: string | undefined;
  constructor(readonly root: string | undefined) {
    // Paths come from trees (no `.`, `..` or empty parts that join would normalise); a plain
    // concatenation saves a path.join per file.
    this.prefix = root === undefined ? undefined : root.endsWith(sep) ? root : root + sep;
  }

  read(path: string, oid: string): Buffer | undefined {
    if (this.prefix === undefined || (this.misses >= 64 && this.misses >= this.hits)) return undefined;
    try {
      const bytes = this.readFile(this.prefix + (sep === '/' ? path : join(path)), oid);
      if (bytes) { this.hits++; return bytes; }
    } catch {
      /* gone or unreadable: the object database answers */
    }
    this.misses++;
    return undefined;
  }

  /** The file's bytes when they are the blob `oid`, else undefined. */
  private readFile(file: string, oid: string): Buffer | undefined {
    // Never through a symbolic link, never blocking on a FIFO or device: only regular files.
    const fd = openSync(file, OPEN_FLAGS);
    let size: number;
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > MAX_CHECKOUT_READ) return undefined;
      size = st.size;
      if (HEADER_ROOM + size > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(HEADER_ROOM + size, this.buf.length * 2));
      let n = 0;
      while (n < size) {
        const r = readSync(fd, this.buf, HEADER_ROOM + n, size - n, null);
        if (r === 0) return undefined; // shorter than fstat said: changing under us
        n += r;
      }
    } finally {
      closeSync(fd);
    }
    const header = `blob ${size}\0`;
    const start = HEADER_ROOM - header.length;
    this.buf.write(header, start, 'latin1');
    const object = this.buf.subarray(start, HEADER_ROOM + size);
    const id = oneShot ? oneShot('sha1', object, 'hex') : crypto.createHash('sha1').update(object).digest('hex');
    return id === oid ? this.buf.subarray(HEADER_ROOM, HEADER_ROOM + size) : undefined;
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
