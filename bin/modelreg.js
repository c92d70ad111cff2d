#!/usr/bin/env node
'use strict';
// The `modelreg` command: runs the CLI bundle (dist/cli/modelreg.cjs, built by scripts/build.mjs)
// through V8's code cache (dist/cli/modelreg.cjs.{read,full}.codecache). Compiling the bundle and the
// functions a command runs cost 12-15 ms of every start on the benchmark machine; reading them
// back from the cache costs 2-3 ms. Node 20 has no compile cache of its own
// (module.enableCompileCache is Node >= 22.1). This file is CommonJS (bin/package.json): an ES
// module entry point costs about 3 ms more to start.
//
// Two caches: one with what the read commands compile (deserialising it takes about 5 ms) and
// one with what every command the build runs compiles (about 8 ms); a read picks the small one.
//
// A cache is a header (magic, CRC-32 and length of the bundle it was made from) and V8's data.
// One that does not match the bundle byte for byte, or that V8 rejects (another Node version or
// other V8 flags), is ignored, and a fresh one is written once the command has finished, by an
// atomic rename; a failed write is ignored (a read-only install runs without the cache).
// MODELREG_CODE_CACHE=off loads the bundle with a plain require; =update writes the cache after
// the command whatever it held (the build uses it to collect the functions of several commands);
// =report also prints on stderr whether the cache was used, rejected, stale or missing. --debug
// loads the bundle with a plain require and its source map, so a stack trace names the modules
// under dist/ (ops/read.js, storage/odb.js...) that the bundle was built from.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const bundle = path.join(__dirname, '..', 'dist', 'cli', 'modelreg.cjs');
const READ_COMMANDS = new Set(['list', 'show', 'resolve', 'search', 'history', 'diff', 'compare', 'best', 'help']);
const mode = process.env.MODELREG_CODE_CACHE ?? '';

if (mode === 'off' || process.argv.includes('--debug')) {
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  run(require(bundle), undefined);
} else {
  runCached();
}

function runCached() {
  const { Script } = require('node:vm');
  const { crc32 } = require('node:zlib');
  // The build makes the bundle ASCII, so Latin-1 is a faithful and the cheapest decoding.
  const source = fs.readFileSync(bundle);
  const cacheFile = `${bundle}.${cacheGroup(process.argv)}.codecache`;
  const header = Buffer.alloc(16);
  header.write('MRCC0001', 0, 'latin1');
  header.writeUInt32LE(crc32(source), 8);
  header.writeUInt32LE(source.length, 12);
  let cached;
  let state = 'missing';
  try {
    const file = fs.readFileSync(cacheFile);
    state = 'stale';
    if (file.length > header.length && file.subarray(0, header.length).equals(header)) cached = file.subarray(header.length);
  } catch {
    // No cache yet: compile, and write one after the command.
  }
  const script = new Script(Module.wrap(source.toString('latin1')), { filename: bundle, cachedData: cached });
  const used = cached !== undefined && !script.cachedDataRejected;
  if (cached) state = used ? 'used' : 'rejected';
  if (mode === 'report') process.stderr.write(`modelreg: code cache ${state}\n`);
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  run(mod.exports, used && mode !== 'update' ? undefined : () => writeCache(cacheFile, header, script));
}

/** `read` for a read command (or none: usage), `full` otherwise. */
function cacheGroup(argv) {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-C' || a === '--registry') i++;
    else if (!a.startsWith('-')) return READ_COMMANDS.has(a) ? 'read' : 'full';
  }
  return 'read';
}

function run(cli, after) {
  cli.main(process.argv).finally(() => { if (after) after(); });
}

function writeCache(cacheFile, header, script) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]));
    fs.renameSync(tmp, cacheFile);
  } catch {
    try { fs.unlinkSync(tmp); } catch { /* nothing was written */ }
  }
}
