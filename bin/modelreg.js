#!/usr/bin/env node
'use strict';
// The `modelreg` command: runs the CLI bundle (dist/cli/modelreg.cjs, built by scripts/build.mjs)
// through V8's code cache. Without it, compiling the bundle and the functions a command runs
// took about 23 ms of a `resolve` on the benchmark machine; reading them from the cache takes
// about 5 ms for a read command and 8 ms for the rest. Node 20 has no compile cache of its own
// (module.enableCompileCache is Node >= 22.1). This file is CommonJS (bin/package.json): an ES
// module entry point costs about 3 ms more to start.
//
// Six caches, dist/cli/modelreg.cjs.<group>.codecache, one per group of commands that run the
// same code: `point` (resolve, show, download), `list` (list, search, best, compare, diff, help
// and usage), `history` (history, events), `write` (register, transition, alias, tag and the
// other one-commit writes), `check` and `full` (every other command). V8 deserialises all of a cache's
// data at start-up, so a command reads the cache of its own group only: a `resolve` does not pay
// for the functions `history` or `check` compiled (one cache for every read took resolve about
// 1-2 ms more once serve and the web UI had grown the bundle).
//
// A cache file is a header and V8's data. The header names the bundle it was made from (CRC-32
// and length), the Node version and platform that made it, and the CRC-32 of the data: V8 does
// not check its data in a release build, and damaged data crashes the process. A file whose
// header does not match is not handed to V8 (a damaged one is removed). V8 itself refuses data
// made under other V8 flags. When the cache in dist/ does not match or V8 refuses it, the
// launcher tries the user's cache folder ($XDG_CACHE_HOME/modelreg, or ~/.cache/modelreg; none
// without a home folder), where caches are kept per bundle, Node and setting (node's arguments
// and NODE_OPTIONS). After the command it writes a fresh cache: into dist/ when it is writable
// and does not hold the build's cache of this bundle (which stays, for the setting it was made
// for), else into the user's folder, where caches of other bundles are removed. Each write goes to a
// temporary file, fsynced, then renamed. A cache written after a command holds that command's
// functions only, so the next seven commands that use it write it again with theirs added; the
// build's caches are final. A failed write is ignored: the command has already done its work.
//
// MODELREG_CODE_CACHE=off loads the bundle with a plain require; =update writes the cache into
// dist/ after the command whatever it held (the build uses it to collect the functions of a
// session of commands); =report also prints on stderr whether the cache was used, rejected,
// stale, corrupt or missing. --debug loads the bundle with a plain require and its source map,
// so a stack trace names the modules under dist/ (ops/read.js, storage/odb.js...) it was built
// from. A Node without zlib.crc32 (before 20.15) loads it with a plain require too, uncached.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

// Two bundles of the same CLI (scripts/build.mjs): modelreg-all.cjs for the commands that reach
// the HTTP server, the web UI, monitoring or MLflow import and export; modelreg.cjs, without that
// code, for every other command, so they do not pay for it at start-up.
const HEAVY_COMMANDS = new Set(['serve', 'watch', 'import', 'export']);
const bundle = path.join(__dirname, '..', 'dist', 'cli', HEAVY_COMMANDS.has(commandOf(process.argv)) ? 'modelreg-all.cjs' : 'modelreg.cjs');
const GROUPS = {
  resolve: 'point', show: 'point', download: 'point',
  list: 'list', search: 'list', best: 'list', compare: 'list', diff: 'list', help: 'list',
  history: 'history', events: 'history',
  check: 'check',
  register: 'write', transition: 'write', promote: 'write', alias: 'write', tag: 'write', describe: 'write',
  approve: 'write', rollback: 'write', deprecate: 'write', deploy: 'write',
};
const mode = process.env.MODELREG_CODE_CACHE ?? '';
const MAGIC = 'MRCC0002';
const HEADER = 28;
/** Generation of a cache the build wrote (final); a cache written after a command starts at 1. */
const FINAL = 255;
const GROW_UNTIL = 8;

const crc32 = mode !== 'off' ? require('node:zlib').crc32 : undefined;
if (mode === 'off' || process.argv.includes('--debug') || typeof crc32 !== 'function') {
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  let cli;
  try { cli = require(bundle); } catch (e) { if (e.code === 'MODULE_NOT_FOUND' && !fs.existsSync(bundle)) unbuilt(); throw e; }
  run(cli, undefined);
} else {
  runCached();
}

/** A checkout that was never built (or whose build was removed): say what to run, exit 2. */
function unbuilt() {
  const root = path.join(__dirname, '..');
  const next = fs.existsSync(path.join(root, "node_modules")) ? "npm run build" : "npm ci";
  process.stderr.write(`modelreg is not built: ${path.relative(process.cwd(), bundle) || bundle} is missing. Run \`${next}\` in ${root}, then try again.\n`);
  process.exit(2);
}

function runCached() {
  const { Script } = require('node:vm');
  let source;
  try { source = fs.readFileSync(bundle); } catch (e) { if (e.code === 'ENOENT') unbuilt(); throw e; }
  const group = cacheGroup(process.argv);
  const want = { bundle: crc32(source), length: source.length, node: crc32(`${process.version} ${process.platform} ${process.arch}`) };
  // V8 also refuses data made under other V8 flags, which only it can tell from node's own
  // arguments and NODE_OPTIONS; the user's cache is kept per such setting.
  const setting = crc32(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
  const shipped = `${bundle}.${group}.codecache`;
  // The user's cache is looked up only when dist/'s cannot serve (most starts never need it).
  let userFile;
  const user = () => (userFile ??= { path: userCacheFile(group, want, setting) }).path;
  // The build makes the bundle ASCII, so Latin-1 is a faithful and the cheapest decoding.
  const wrapped = Module.wrap(source.toString('latin1'));
  const compile = (data) => new Script(wrapped, { filename: bundle, cachedData: data });
  let found = readCache(shipped, want);
  let from = shipped;
  // The build's cache of this bundle, though perhaps for another setting: it is never replaced.
  const shippedFinal = found.final === true;
  // Damaged data under a good header (a torn write, a disk error) is of no use to any setting.
  if (found.state === 'corrupt') try { fs.unlinkSync(shipped); } catch { /* read-only: it stays unused */ }
  let script = found.data ? compile(found.data) : undefined;
  if ((!script || script.cachedDataRejected) && user()) {
    const mine = readCache(user(), want);
    if (mine.data) {
      const second = compile(mine.data);
      if (!second.cachedDataRejected || !script) { script = second; found = mine; from = user(); }
    }
  }
  script ??= compile(undefined);
  const used = found.data !== undefined && !script.cachedDataRejected;
  const state = found.data ? (used ? 'used' : 'rejected') : found.state;
  if (mode === 'report') process.stderr.write(`modelreg: code cache ${state}${used && from !== shipped ? ` (${from})` : ''}\n`);
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  let generation;
  if (mode === 'update') generation = FINAL;
  else if (!used) generation = 1;
  else if (found.generation < GROW_UNTIL) generation = found.generation + 1;
  if (generation === undefined) return run(mod.exports, undefined);
  // Where the new cache goes: the build's (update) into dist/; else into dist/ when it is
  // writable and does not hold the build's final cache of this bundle (made for another
  // setting, it stays for the commands run with that one), else into the user's folder.
  const target = mode === 'update' || (writable(path.dirname(shipped)) && !shippedFinal) ? shipped : user();
  run(mod.exports, target ? () => writeCache(target, want, generation, script, target !== shipped) : undefined);
}

/** The command's name: the first argument that is neither an option nor an option's value. */
function commandOf(argv) {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-C' || a === '--registry') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The command's group in GROUPS, `full` for the others, `list` with no command (usage). */
function cacheGroup(argv) {
  const command = commandOf(argv);
  if (command === undefined) return 'list';
  return Object.hasOwn(GROUPS, command) ? GROUPS[command] : 'full';
}

/**
 * The cache's V8 data when its header matches `want` and the data its checksum; else why not.
 * `final`: the build wrote it for this bundle (whatever Node or setting it was made for).
 */
function readCache(file, want) {
  let buf;
  try { buf = fs.readFileSync(file); } catch { return { state: 'missing' }; }
  if (buf.length <= HEADER || buf.toString('latin1', 0, 8) !== MAGIC || buf.readUInt32LE(8) !== want.bundle || buf.readUInt32LE(12) !== want.length) return { state: 'stale' };
  const final = buf[24] === FINAL;
  if (buf.readUInt32LE(16) !== want.node) return { state: 'stale', final };
  const data = buf.subarray(HEADER);
  if (crc32(data) !== buf.readUInt32LE(20)) return { state: 'corrupt' };
  return { state: 'ok', data, generation: buf[24], final };
}

/**
 * The cache file in the user's cache folder: $XDG_CACHE_HOME/modelreg (an absolute path, as
 * the XDG spec requires) or ~/.cache/modelreg; undefined without a home folder. Named by the
 * bundle and the setting, so switching Node versions does not make two of them take turns.
 */
function userCacheFile(group, want, setting) {
  let base = process.env.XDG_CACHE_HOME;
  if (!base || !path.isAbsolute(base)) {
    let home;
    try { home = require('node:os').homedir(); } catch { return undefined; }
    if (!home || !path.isAbsolute(home)) return undefined;
    base = path.join(home, '.cache');
  }
  const hex = (n) => n.toString(16).padStart(8, '0');
  return path.join(base, 'modelreg', `modelreg-${hex(want.bundle)}-${hex(want.node)}-${hex(setting)}.${group}.codecache`);
}

function writable(dir) {
  try { fs.accessSync(dir, fs.constants.W_OK); return true; } catch { return false; }
}

function run(cli, after) {
  cli.main(process.argv).finally(() => { if (after) after(); });
}

function writeCache(file, want, generation, script, inUserFolder) {
  try { fs.mkdirSync(path.dirname(file), { recursive: true }); } catch { return; }
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const data = script.createCachedData();
    const header = Buffer.alloc(HEADER);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(want.bundle, 8);
    header.writeUInt32LE(want.length, 12);
    header.writeUInt32LE(want.node, 16);
    header.writeUInt32LE(crc32(data), 20);
    header[24] = generation;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, Buffer.concat([header, data]));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    if (inUserFolder) removeOtherBundles(path.dirname(file), want);
  } catch {
    try { fs.unlinkSync(tmp); } catch { /* nothing was written */ }
  }
}

/** Caches of other bundles in the user's folder are of no use to anyone: an upgrade leaves them behind. */
function removeOtherBundles(dir, want) {
  const mine = `modelreg-${want.bundle.toString(16).padStart(8, '0')}-`;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('modelreg-') && name.endsWith('.codecache') && !name.startsWith(mine)) {
      try { fs.unlinkSync(path.join(dir, name)); } catch { /* another process took it */ }
    }
  }
}
