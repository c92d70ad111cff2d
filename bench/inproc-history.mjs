#!/usr/bin/env node
/**
 * In-process (library, warm) writes in a model with a long history, run by bench/history-bench.mjs
 * in a child process of its own:
 *   node bench/inproc-history.mjs --dir REPO --model m0 --versions 1.1991.0,1.1992.0,... [--budget-ms 60000]
 * Opens the registry once, makes one untimed warm-up call of each operation, then times a
 * transition (None -> Staging) of each listed version but the first and an alias move to each.
 * Prints JSON.
 */
import { join } from 'node:path';
import { BUILD } from './synth.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dir = opt('dir');
const model = opt('model', 'm0');
const versions = opt('versions').split(',');
const budgetMs = Number(opt('budget-ms', 60000));
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const { openRegistry } = await import(join(BUILD, 'dist', 'index.js'));
const reg = await openRegistry({ dir });

async function series(list, fn) {
  const times = [];
  const start = Date.now();
  for (const v of list) {
    const t = process.hrtime.bigint();
    await fn(v);
    times.push(ms(t));
    if (Date.now() - start > budgetMs && times.length >= 3) break;
  }
  return times;
}

const out = { first: {}, times: {} };
let t = process.hrtime.bigint();
await reg.transition({ model, version: versions[0], stage: 'Staging' });
out.first.transition = ms(t);
t = process.hrtime.bigint();
await reg.alias({ model, alias: 'bench', version: versions[0] });
out.first.alias = ms(t);
out.times.transition = await series(versions.slice(1), (v) => reg.transition({ model, version: v, stage: 'Staging' }));
out.times.alias = await series(versions.slice(1), (v) => reg.alias({ model, alias: 'bench', version: v }));
out.rssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify(out));
