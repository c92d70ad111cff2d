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
 * - `--semi-space-growth-factor=1`: the young generation stays at its initial 2 MB while the
 *   state is loaded and the event index filled, then grows to 8 MB at most (`serving`);
 * - `--heap-growing-percent=20`: the old generation may grow 20 % over what the last full
 *   collection left before the next one, instead of V8's default factor of about 1.5-4.
 * V8 refuses a code cache made under other flags, and the CLI's launcher (bin/modelreg.js) may
 * write one after the command: `restore` puts the defaults back before that.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

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

/** Young generation (both semi-spaces) the server lets V8 grow to once it serves: V8's default is 32 MB. */
const SERVING_YOUNG_BYTES = 8 << 20;

export interface HeapSettings {
  /**
   * The start's work is done (state loaded, event index filled): the young generation may grow
   * to 8 MB. Requests allocate fast and die young; at 2 MB the collections took about 13 µs of
   * each request's 25-35 µs of CPU, at 8 MB about 5 µs.
   */
  serving(): void;
  /** Puts V8's defaults back (call it once the server is stopped). */
  restore(): void;
}

/**
 * Applies the server's heap settings (those the user did not set). Call it once, before the
 * served state is loaded.
 * @example const heap = keepHeapSmall(); const s = await startServer(o); void s.warmed.then(heap.serving); ... heap.restore();
 */
export function keepHeapSmall(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): HeapSettings {
  const applied = SETTINGS.filter(([flag]) => !setByUser(flag, execArgv, nodeOptions));
  for (const [flag, value] of applied) setFlagsFromString(`--${flag}=${value}`);
  const growth = applied.some(([flag]) => flag === 'semi-space-growth-factor');
  let observer: PerformanceObserver | undefined;
  let restored = false;
  return {
    serving() {
      if (!growth || restored || observer) return;
      // V8 doubles the young generation when enough survives a collection; it stops at the size wanted.
      setFlagsFromString('--semi-space-growth-factor=2');
      observer = new PerformanceObserver(() => {
        if (youngBytes() < SERVING_YOUNG_BYTES) return;
        setFlagsFromString('--semi-space-growth-factor=1');
        observer?.disconnect();
      });
      observer.observe({ entryTypes: ['gc'] });
    },
    restore() {
      if (restored) return;
      restored = true;
      observer?.disconnect();
      for (const [flag, , defaultValue] of applied) setFlagsFromString(`--${flag}=${defaultValue}`);
    },
  };
}

function youngBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
