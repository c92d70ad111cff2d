#!/usr/bin/env node
/**
 * In-process (library, warm) timings, run by bench/run.mjs in a child process of its own:
 *   node bench/inproc.mjs --dir REPO --reads 200 --writes 20 --first-model 100 [--budget-ms 60000]
 * Opens the registry once with openRegistry({ dir }), makes one untimed warm-up call of each
 * operation, then times `reads` calls of resolve and show and `writes` registrations (each of
 * another model, so every call is one commit on a registry of the same size). Prints JSON.
 */
import { join } from 'node:path';
import { BUILD, signatureOf, modelName } from './synth.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dir = opt('dir');
const reads = Number(opt('reads', 200));
const writes = Number(opt('writes', 20));
const firstModel = Number(opt('first-model', 100));
const models = Number(opt('models', 100));
const budgetMs = Number(opt('budget-ms', 60000));

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const { openRegistry } = await import(join(BUILD, 'dist', 'index.js'));
const t0 = process.hrtime.bigint();
const reg = await openRegistry({ dir });
const openMs = ms(t0);

async function series(n, fn) {
  const times = [];
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    times.push(ms(t));
    if (Date.now() - start > budgetMs && times.length >= 3) break;
  }
  return times;
}

const out = { openMs, first: {}, times: {} };
let t = process.hrtime.bigint();
const r = await reg.resolve({ uri: 'models:/m0/Production' });
out.first.resolve = ms(t);
if (r.version !== '1.7.0') throw new Error(`resolve returned ${r.version}, expected 1.7.0`);
t = process.hrtime.bigint();
const s = await reg.show({ model: 'm0' });
out.first.show = ms(t);
if (!s || !(s.versions?.length ?? s.versions?.size)) throw new Error('show m0 returned no versions');

out.times.resolve = await series(reads, () => reg.resolve({ uri: 'models:/m0/Production' }));
out.times.show = await series(reads, () => reg.show({ model: 'm0' }));

const registerOne = (i) => {
  const m = firstModel + (i % models);
  const name = modelName(m);
  return reg.register({
    model: name,
    artifact: `s3://ml-models/${name}/inproc-${i}/model.bin`,
    signature: signatureOf(m),
    metrics: { auc: 0.9, accuracy: 0.88 },
    params: { learning_rate: 0.05, max_depth: 6 },
    tags: { team: 'bench' },
    framework: { name: 'lightgbm', version: '4.3.0' },
    format: 'pickle',
    runId: `inproc${i}`,
    experiment: `${name}-training`,
    sourceRepo: `https://github.com/example/${name}-training`,
    sourceCommit: '0123456789abcdef0123456789abcdef01234567',
    datasets: ['ads-events@v11'],
    description: 'in-process benchmark registration',
  });
};
t = process.hrtime.bigint();
await registerOne(writes); // warm-up (its own model)
out.first.register = ms(t);
out.times.register = await series(writes, registerOne);
out.rssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify(out));
