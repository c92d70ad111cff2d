#!/usr/bin/env node
/**
 * `npm run demo`: a tour of the modelreg CLI on a throwaway registry.
 *
 * Creates a Git repository in a fresh temp folder with `modelreg init`, registers a few versions
 * of two models, promotes one, and reads the registry back (list, show, resolve, history, check).
 * Every step prints the command it runs and its output. Nothing outside the temp folder is
 * touched: the demo runs under a fixed identity with HOME pointing at the temp folder, so no Git
 * configuration of yours is read or needed. Exits non-zero as soon as a step fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/modelreg.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
if (!existsSync(DIST)) {
  console.error('modelreg is not built yet: run `npm run build` (or `npm ci`, which builds it) first.');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'modelreg-demo-'));
const repo = join(tmp, 'registry-repo');
const work = join(tmp, 'work'); // where a data scientist's training job left its outputs
mkdirSync(work);

// A fixed identity and an empty home: the demo never reads (or needs) your Git configuration.
const env = { ...process.env };
for (const k of Object.keys(env)) if (k.startsWith('GIT_') || k === 'MODELREG_TOKEN' || k === 'GITHUB_TOKEN') delete env[k];
Object.assign(env, {
  HOME: tmp,
  USERPROFILE: tmp,
  XDG_CONFIG_HOME: join(tmp, '.config'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Dana Demo',
  GIT_AUTHOR_EMAIL: 'dana@example.com',
  GIT_COMMITTER_NAME: 'Dana Demo',
  GIT_COMMITTER_EMAIL: 'dana@example.com',
  NO_COLOR: '1',
});

const bold = process.stdout.isTTY ? (s) => `\x1b[1m${s}\x1b[22m` : (s) => s;
const dim = process.stdout.isTTY ? (s) => `\x1b[2m${s}\x1b[22m` : (s) => s;

/** How a word is typed in a POSIX shell. */
const quote = (a) => (/^[A-Za-z0-9_@%+=:,./^-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

let step = 0;
function section(title) {
  console.log(`\n${bold(`── ${++step}. ${title}`)}`);
}

/**
 * Runs `modelreg ARGS` in the registry repository, printing the command and its output.
 * `expect` is the exit code the step should end with (0 unless the step shows a denial).
 */
function modelreg(args, { cwd = repo, expect = 0 } = {}) {
  console.log(`\n${bold(`$ modelreg ${args.map(quote).join(' ')}`)}`);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8' });
  if (r.stdout) process.stdout.write(r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
  if (r.stderr) process.stdout.write(r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`);
  if (r.error || r.status !== expect) {
    const got = r.error ? r.error.message : `exit code ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}`;
    console.error(`\ndemo failed: \`modelreg ${args.map(quote).join(' ')}\` ended with ${got}, expected exit code ${expect}.`);
    console.error(`The registry repository is left in ${repo} for a look.`);
    process.exit(1);
  }
  if (expect !== 0) console.log(dim(`(exit code ${r.status}, as expected)`));
  return r.stdout;
}

const started = Date.now();
console.log(bold('modelreg demo: a model registry that lives in a Git repository'));
console.log(`Working in ${tmp}, as ${env.GIT_AUTHOR_NAME} <${env.GIT_AUTHOR_EMAIL}>.`);

// ---------------------------------------------------------------------------------------------
section('Create a registry: a Git repository with modelreg.yaml, policies/default.yaml and CI files');
modelreg(['init', repo], { cwd: tmp });

// What a training job leaves behind: a model file (its digest and size get recorded) and an
// MLflow-style signature of the model's inputs and outputs.
const churnV1 = {
  inputs: [
    { name: 'tenure_months', type: 'long', required: true },
    { name: 'monthly_charges', type: 'double', required: true },
    { name: 'contract_type', type: 'string', required: true },
    { name: 'support_tickets_90d', type: 'long', required: true },
  ],
  outputs: [{ name: 'churn_probability', type: 'double', required: true }],
};
const churnV2 = {
  inputs: [...churnV1.inputs, { name: 'days_since_last_login', type: 'long', required: true }],
  outputs: churnV1.outputs,
};
writeFileSync(join(work, 'churn-signature-v1.json'), `${JSON.stringify(churnV1, null, 2)}\n`);
writeFileSync(join(work, 'churn-signature-v2.json'), `${JSON.stringify(churnV2, null, 2)}\n`);
const artifact = (name, n) => {
  // Stand-in bytes for a serialized model; any file works, modelreg only hashes it.
  writeFileSync(join(work, name), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + n * 17) % 256)));
  return `../work/${name}`;
};

// ---------------------------------------------------------------------------------------------
section('Register model versions: one commit each (the first registration creates the model)');
modelreg([
  'register', 'churn-prediction',
  '--artifact', 's3://demo-models/churn-prediction/1.0.0/model.pkl',
  '--file', artifact('churn-1.0.0.pkl', 1),
  '--format', 'pickle',
  '--framework', 'lightgbm@4.5.0',
  '--signature', '../work/churn-signature-v1.json',
  '--metric', 'accuracy=0.872', '--metric', 'auc=0.901', '--metric', 'f1=0.804',
  '--param', 'n_estimators=400', '--param', 'learning_rate=0.05',
  '--tag', 'dataset=customer-snapshots@2026-01-01',
  '--dataset', 'customer-snapshots@2026-01-01',
  '--description', 'Baseline: gradient boosting on billing and support features',
]);
modelreg([
  'register', 'churn-prediction',
  '--artifact', 's3://demo-models/churn-prediction/1.1.0/model.pkl',
  '--file', artifact('churn-1.1.0.pkl', 2),
  '--format', 'pickle',
  '--framework', 'lightgbm@4.5.0',
  '--signature', '../work/churn-signature-v1.json',
  '--metric', 'accuracy=0.889', '--metric', 'auc=0.921', '--metric', 'f1=0.829',
  '--param', 'n_estimators=600', '--param', 'learning_rate=0.03',
  '--tag', 'dataset=customer-snapshots@2026-02-15',
  '--dataset', 'customer-snapshots@2026-02-15',
  '--run-id', '5b2bb597dceb4e26ae76b650536f189b', '--experiment', 'churn-prediction',
]);
console.log(dim('\nNo --version given: the policy\'s defaultBump (minor) derived 1.1.0 from 1.0.0.'));

section('A new input column changes the signature: the policy wants a major bump');
const v2 = [
  'register', 'churn-prediction',
  '--artifact', 's3://demo-models/churn-prediction/2.0.0/model.pkl',
  '--file', artifact('churn-2.0.0.pkl', 3),
  '--format', 'pickle',
  '--framework', 'lightgbm@4.6.0',
  '--signature', '../work/churn-signature-v2.json',
  '--metric', 'accuracy=0.902', '--metric', 'auc=0.934', '--metric', 'f1=0.849',
  '--tag', 'dataset=customer-snapshots@2026-04-01',
];
modelreg(v2, { expect: 1 });
modelreg([...v2, '--bump', 'major']);

modelreg([
  'register', 'iris-classifier',
  '--artifact', 's3://demo-models/iris-classifier/1.0.0/model.pkl',
  '--file', artifact('iris-1.0.0.pkl', 4),
  '--framework', 'sklearn@1.5.2',
  '--metric', 'accuracy=0.967', '--metric', 'f1_macro=0.966',
  '--param', 'estimator=LogisticRegression', '--param', 'max_iter=200',
  '--tag', 'dataset=uci-iris',
]);

// ---------------------------------------------------------------------------------------------
section('Promote a version: the policy decides, and the checklist says why');
modelreg(['promote', 'churn-prediction', '1.1.0', '--to', 'Staging', '-m', 'Beats 1.0.0 on AUC; start shadow traffic']);
modelreg(['promote', 'churn-prediction', '1.1.0', '--to', 'Production', '--dry-run'], { expect: 1 });
console.log(dim('\nDenied: the default policy wants an approval from an owner other than the one promoting.'));

// ---------------------------------------------------------------------------------------------
section('Read the registry');
modelreg(['list']);
modelreg(['show', 'churn-prediction']);
modelreg(['show', 'churn-prediction', '1.1.0']);

section('Resolve model URIs: what a serving job asks for');
modelreg(['resolve', 'models:/churn-prediction/latest']);
modelreg(['resolve', 'models:/churn-prediction/Staging']);
modelreg(['resolve', 'models:/churn-prediction/Staging', '--json']);

section('History: derived from the commits, newest first');
modelreg(['history']);

section('Check: what CI runs on every pull request (here without --base: files and invariants only)');
modelreg(['check']);

// ---------------------------------------------------------------------------------------------
console.log(`\n${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s. The registry repository is ${repo}`);
console.log('Every change above is one Git commit; see them with');
console.log(`\n  git -C ${quote(repo)} log --stat\n`);
console.log(`Remove the demo with: rm -rf ${quote(tmp)}`);
