/**
 * Generators for the hostile-input corpus: content too big, too deep or too repetitive to keep
 * in the repository. A case names one (`generate: { path: NAME }`, or `{{gen:NAME}}` inside an
 * argument) and the runner expands it in the temporary repository.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';

const MiB = 1024 * 1024;

const STAMP = 'created: {at: 2024-01-01T00:00:00Z, by: ada@example.com}\n';

/** A valid version record of churn 1.0.0 (the generators pad or break it). */
function versionHead(version = '1.0.0'): string {
  return `model: churn\nversion: ${version}\nstage: None\nartifact: {uri: "s3://models/churn/${version}"}\n`;
}

/** Writes `size` bytes of `head` + `# xxxx` comment lines, streamed (a 50 MB file never sits in memory as one string). */
async function padded(path: string, head: string, size: number): Promise<void> {
  const line = `# ${'x'.repeat(1021)}\n`; // 1024 bytes
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path);
    out.on('error', reject);
    out.on('finish', resolve);
    out.write(head);
    let left = size - Buffer.byteLength(head);
    const chunk = line.repeat(1024); // 1 MiB
    while (left >= chunk.length) { out.write(chunk); left -= chunk.length; }
    while (left >= line.length) { out.write(line); left -= line.length; }
    if (left > 0) out.write(left === 1 ? '\n' : `#${'x'.repeat(left - 2)}\n`);
    out.end();
  });
}

/** The "billion laughs": 10 anchors, each a list of ten aliases of the previous one (10^10 nodes if expanded). */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

/** 256 zeros as a CEL list literal (the most cel-js allows in one literal). */
const CEL_LIST = `[${Array.from({ length: 256 }, () => '0').join(',')}]`;

function policyWithGuard(guard: string): string {
  return `apiVersion: modelreg/v1
kind: Policy
name: default
stages:
  - name: None
  - name: Staging
initialStage: None
transitions:
  - from: None
    to: Staging
    when: '${guard.replace(/'/g, "''")}'
`;
}

export type FileGenerator = (path: string) => Promise<void>;

/** Generators of file content, by name. */
export const FILE_GENERATORS: Record<string, FileGenerator> = {
  /** A 50 MB version file: a valid record followed by comment lines. */
  'big-50mb': (p) => padded(p, `${versionHead()}${STAMP}`, 50 * MiB),
  /** A 50 MB model.yaml. */
  'big-50mb-model': (p) => padded(p, `name: churn\n${STAMP}`, 50 * MiB),
  /** A 50 MB policy: a valid policy followed by comment lines. */
  'big-50mb-policy': (p) => padded(p, 'apiVersion: modelreg/v1\nkind: Policy\nname: default\nstages: [{name: None}]\n', 50 * MiB),
  /** One byte over the 1 MiB limit, otherwise a valid version file. */
  'big-1mib-plus-1': (p) => padded(p, `${versionHead()}${STAMP}`, MiB + 1),
  /** YAML alias bomb (billion laughs). */
  'alias-bomb': (p) => writeFile(p, aliasBomb()),
  /** A version record whose description field is an alias bomb. */
  'alias-bomb-version': (p) => writeFile(p, `${aliasBomb()}${versionHead()}${STAMP}`),
  /** A policy document that also carries an alias bomb. */
  'alias-bomb-policy': (p) => writeFile(p, `apiVersion: modelreg/v1\nkind: Policy\nname: default\nstages: [{name: None}]\n${aliasBomb()}`),
  /** 10,000 nested flow sequences in a version file's description. */
  'deep-nesting-10000': (p) => writeFile(p, `${versionHead()}${STAMP}description: ${'['.repeat(10000)}${']'.repeat(10000)}\n`),
  /** 5,000 nested flow mappings in model.yaml. */
  'deep-nesting-maps-5000': (p) => writeFile(p, `name: churn\n${STAMP}description: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`),
  /** 2,000 metrics (the schema allows 1000). */
  'metrics-2000': (p) => writeFile(p, `${versionHead()}${STAMP}metrics:\n${Array.from({ length: 2000 }, (_, i) => `  m${i}: 0.5\n`).join('')}`),
  /** A description of 900,000 characters on one line (the schema allows 10,000). */
  'long-description-900k': (p) => writeFile(p, `${versionHead()}${STAMP}description: "${'a'.repeat(900_000)}"\n`),
  /** A policy whose guard nests two comprehensions over 256-element literals and concatenates lists in the body (2^16 iterations, each building a 16,384-element list). */
  'policy-cel-alloc': (p) => writeFile(p, policyWithGuard(`cel.bind(l, ${CEL_LIST}, size(l.map(x, l.map(y, ${Array.from({ length: 64 }, () => 'l').join(' + ')}))) > 0)`)),
  /** A policy whose guard is a regular expression with catastrophic backtracking. */
  'policy-cel-redos': (p) => writeFile(p, policyWithGuard('version.description.matches("^(a+)+$")')),
  /** A version file with bytes that are not UTF-8 (0xFF 0xFE inside the artifact URI). */
  'invalid-utf8-version': (p) => writeFile(p, Buffer.concat([Buffer.from(`model: churn\nversion: 1.0.0\nstage: None\nartifact: {uri: "s3://models/churn/`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`"}\n${STAMP}`)])),
  /** A version whose description makes `^(a+)+$` backtrack (3000 a's and a '!'). */
  'version-redos-description': (p) => writeFile(p, `${versionHead()}${STAMP}description: "${'a'.repeat(3000)}!"\n`),
};

/** Generators of argument strings, expanded from `{{gen:NAME}}`. */
export const STRING_GENERATORS: Record<string, () => string> = {
  /** A "semantic version" with a 10,000-digit patch number. */
  'huge-semver-10k': () => `1.0.${'9'.repeat(10_000)}`,
  /** A valid-looking pre-release of 100,000 characters. */
  'huge-prerelease-100k': () => `1.0.0-${'a'.repeat(100_000)}`,
  /** A model name of 100,000 characters. */
  'huge-name-100k': () => 'm'.repeat(100_000),
  /** A version file name of 240 digits (file systems allow 255 bytes). */
  'semver-240-digits': () => `1.0.${'9'.repeat(240)}`,
  /** A version string of 304 characters (the schema allows 256). */
  'semver-300-digits': () => `1.0.${'9'.repeat(300)}`,
};

export function expandString(s: string): string {
  return s.replace(/\{\{gen:([a-z0-9-]+)\}\}/g, (_m, name: string) => {
    const g = STRING_GENERATORS[name];
    if (!g) throw new Error(`unknown string generator ${name}`);
    return g();
  });
}

/** Expands `{{gen:NAME}}` in every string of a JSON-like value. */
export function expandDeep<T>(v: T): T {
  if (typeof v === 'string') return expandString(v) as T;
  if (Array.isArray(v)) return v.map(expandDeep) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [expandString(k), expandDeep(x)])) as T;
  return v;
}
