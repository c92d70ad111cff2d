/**
 * Writing one file of an on-disk cache under `.git/modelreg/`: to a temporary name, then renamed
 * into place, so a reader sees a whole file or none. A cache that cannot be written is only
 * slower, so a failure is dropped (and the temporary file removed).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeCacheFile(file: string, content: string | Buffer): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch {
    try { unlinkSync(tmp); } catch { /* a cache that cannot be written is only slower */ }
  }
}
