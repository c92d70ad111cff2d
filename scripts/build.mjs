// Build: compile TypeScript to dist/, then precompile the JSON Schema validators with ajv's
// standalone code generation so no process pays for schema compilation at start-up.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;
const standalone = require('ajv/dist/standalone').default;

await rm(`${root}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });

const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true }, allowUnionTypes: true });
addFormats(ajv, ['date-time']);
const refs = {};
for (const name of ['version', 'model', 'policy', 'config']) {
  const schema = JSON.parse(await readFile(`${root}schemas/${name}.schema.json`, 'utf8'));
  ajv.addSchema(schema, name);
  refs[name] = name;
}
// The standalone code calls require() for ajv's runtime helpers; give the ES module one.
const code = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n" + standalone(ajv, refs).replace(/^"use strict";/, '');
// Beside the sources too, so tests that import src/ directly (vitest) find the validators.
for (const dir of ['dist/generated', 'src/generated']) {
  await mkdir(`${root}${dir}`, { recursive: true });
  await writeFile(`${root}${dir}/validators.js`, code);
}

// The CLI runs from one bundle (with a chunk per lazily loaded command): resolving ~100 ES
// modules one by one cost about 60 ms of every command's start-up. Measured on the 10k-version
// benchmark registry: resolve 186 ms -> 127 ms, --help 86 ms -> 71 ms. The library (dist/index.js)
// stays unbundled for importers.
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [`${root}dist/cli/main.js`],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: `${root}dist/bundle`,
  banner: { js: "import { createRequire as __modelregRequire } from 'node:module'; const require = __modelregRequire(import.meta.url);" },
  logLevel: 'warning',
});
