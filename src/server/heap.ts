/**
 * V8 heap settings for the `modelreg serve` process, set from inside it (no re-exec with node
 * flags: a parent process's memory would count too).
 *
 * What raised the server's peak memory at 10,000 versions was garbage, not what it keeps: about
 * 35 MB of heap is live once the served state is loaded, but the first start of a clone parses
 * every version file (the served state, then the event index's walk parses them again), and V8
 * let the young generation grow to 32 MB and the old generation to 2-3 times the live size
 * before collecting (peak 160 MB at the listening line, 207-238 MB during the event index fill).
 * Two settings that V8 reads at each collection (unlike --max-semi-space-size, which counts only
 * at process start) keep both close to what is live:
 * - `--semi-space-growth-factor=1`: the young generation stays at its initial 2 MB;
 * - `--heap-growing-percent=20`: the old generation may grow 20 % over what the last full
 *   collection left before the next one, instead of V8's default factor of about 1.5-4.
 * The price is CPU on the first start (more, smaller collections); serving answers repeated
 * questions from a cache, allocates little, and measured no slower (docs/performance.md).
 *
 * V8 refuses a code cache made under other flags, and the CLI's launcher (bin/modelreg.js) may
 * write one after the command: the returned function puts the defaults back before that.
 */
import { setFlagsFromString } from 'node:v8';

/** Flag, value for the server, V8's default (Node 20-24). */
const SETTINGS: Array<[flag: string, value: number, defaultValue: number]> = [
  ['semi-space-growth-factor', 1, 2],
  ['heap-growing-percent', 20, 0],
];

/** Whether node's own arguments or NODE_OPTIONS set `flag` (either spelling): the user's choice is left alone. */
function setByUser(flag: string, execArgv: readonly string[], nodeOptions: string): boolean {
  const spellings = [flag, flag.replace(/-/g, '_')];
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => spellings.some((s) => a === `--${s}` || a.startsWith(`--${s}=`)));
}

/**
 * Applies the server's heap settings (those the user did not set); returns what puts V8's
 * defaults back. Call it once, before the served state is loaded.
 * @example const restore = keepHeapSmall(); try { await serve(); } finally { restore(); }
 */
export function keepHeapSmall(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): () => void {
  const applied = SETTINGS.filter(([flag]) => !setByUser(flag, execArgv, nodeOptions));
  for (const [flag, value] of applied) setFlagsFromString(`--${flag}=${value}`);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    for (const [flag, , defaultValue] of applied) setFlagsFromString(`--${flag}=${defaultValue}`);
  };
}
