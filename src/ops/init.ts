/** `init`: creates (or adopts) a Git repository as a registry, with an initial commit. */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { RegistryError } from '../errors/index.js';
import { renderConfig } from '../domain/render.js';
import { CONFIG_FILE } from '../domain/state.js';
import { initRepository } from '../storage/init.js';
import { readPackageFile } from '../storage/package-files.js';
import { locateRepo } from '../storage/repo.js';
import { Context, type RegistryOptions } from './context.js';
import { DEFAULT_POLICY } from './policies.js';
import { runWrite, type WriteOutcome } from './write.js';
import { githubWorkflow, gitlabCi, installCommand, type CliSource } from './templates.js';
import { forgeName, forgeOfRemote, type ForgeName } from '../forge/index.js';

export interface InitInput {
  dir?: string;
  branch?: string;
  /** Which CI files to write: github (.github/workflows/modelreg.yml), gitlab (.gitlab-ci.yml); default: the forge of the remote url, else github. */
  ci?: string[];
  /**
   * Where the CI files install modelreg from: an npm install spec — a tarball URL or file, a Git
   * URL, a folder — for registries that do not install from the npm registry. Default:
   * `modelreg@<the version running init>`.
   */
  cliSource?: string;
}

export interface InitResult extends WriteOutcome {
  dir: string;
  created: string[];
  newRepository: boolean;
  /** The install spec the CI files were written with (also when they already existed and were left alone). */
  cliSource: string;
  /** What the caller should know: an unpinned source, CI files left as they were. */
  warnings: string[];
}

/** Characters of an install spec: enough for versions, URLs, Git refs and paths, none a shell or YAML treats specially here. */
const SPEC = /^[A-Za-z0-9@._~:/+#=?&%,^-]+$/;
const EXACT = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Checks an install spec for the CI files and says what about it is not pinned. Throws BAD_INPUT
 * for a spec CI could not use: one with spaces or quotes, an option (`-…`), an absolute path.
 * @example cliSourceFor(undefined, '0.1.0', dir) // { spec: 'modelreg@0.1.0', warnings: [] }
 * @example cliSourceFor('git+https://example.com/modelreg.git', '0.1.0', dir).warnings // ['… names no commit or tag …']
 */
export async function cliSourceFor(spec: string | undefined, version: string, dir: string): Promise<{ spec: string; warnings: string[] }> {
  if (spec === undefined) return { spec: `modelreg@${version}`, warnings: [] };
  const bad = (why: string): never => {
    throw new RegistryError('BAD_INPUT', `--cli-source ${JSON.stringify(spec)} ${why}. Give an npm install spec: a tarball (https://…/modelreg-${version}.tgz or ./tools/modelreg-${version}.tgz), a Git URL with a tag or commit (git+https://…/modelreg.git#v${version}) or a folder relative to the repository root.`, { cliSource: spec });
  };
  if (!spec || !SPEC.test(spec)) bad('has characters an install spec does not need (spaces, quotes, $ …)');
  if (spec.startsWith('-')) bad('starts with -, which npm would read as an option');
  const warnings: string[] = [];
  const isUrl = /^https?:\/\//.test(spec);
  const isPath = !isUrl && (/^(\.{1,2}\/|\/|file:|~)/.test(spec) || /\.(tgz|tar\.gz|tar)$/.test(spec));
  const isGit = !isPath && (/^(git\+[a-z]+:|git:|github:|gitlab:|bitbucket:|gist:)/.test(spec) || /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+(#.*)?$/.test(spec) || /\.git(#.*)?$/.test(spec));
  if (isGit) {
    if (!/#./.test(spec)) warnings.push(`${spec} names no commit or tag, so CI installs whatever its default branch holds at the time; pin it with #<tag or commit>.`);
    else if (/#semver:/.test(spec)) warnings.push(`${spec} names a range of tags, not one; pin one tag or commit.`);
  } else if (isUrl) {
    if (spec.startsWith('http://')) warnings.push(`${spec} is fetched without TLS; use https.`);
  } else if (isPath) {
    const rel = spec.replace(/^file:/, '');
    if (rel.startsWith('/') || rel.startsWith('~')) bad('is an absolute path, which does not exist where CI checks the repository out; give a path relative to the repository root');
    if (!(await stat(join(dir, rel)).catch(() => undefined))) warnings.push(`${rel} is not in the repository yet; commit it, since CI installs modelreg from it.`);
  } else {
    const at = spec.lastIndexOf('@');
    const range = at > 0 ? spec.slice(at + 1) : '';
    if (!EXACT.test(range)) warnings.push(`${spec} is not one exact version, so CI installs whatever the registry serves for it on the day; give name@X.Y.Z.`);
  }
  return { spec, warnings };
}

export async function init(input: InitInput, options: RegistryOptions = {}): Promise<InitResult> {
  const dir = resolve(input.dir ?? options.dir ?? process.cwd());
  const askedCi = input.ci?.length ? input.ci.flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean).map(forgeName) : undefined; // bad input changes nothing
  // Checked before anything is created too.
  const version = (JSON.parse(await readPackageFile('package.json')) as { version: string }).version;
  const cli = await cliSourceFor(input.cliSource, version, dir);
  let newRepository = false;
  const hasGit = await stat(join(dir, '.git')).catch(() => undefined);
  if (!hasGit) {
    let existing = dir;
    while (!(await stat(existing).catch(() => undefined)) && dirname(existing) !== existing) existing = dirname(existing);
    const enclosing = await locateRepo(existing).catch(() => undefined);
    if (enclosing && enclosing.dir !== dir) {
      throw new RegistryError('BAD_INPUT', `${dir} is inside the Git repository ${enclosing.dir ?? enclosing.gitdir}. Run \`modelreg init ${enclosing.dir ?? enclosing.gitdir}\` to make that repository a registry, or choose a folder outside it.`, { dir });
    }
    await initRepository(dir, input.branch ?? 'main');
    newRepository = true;
  }
  const ctx = await Context.open({ ...options, dir });
  const files: Array<[string, string]> = [
    [CONFIG_FILE, renderConfig({ apiVersion: 'modelreg/v1', kind: 'Registry', registry: 'registry', policies: 'policies' })],
    ['policies/default.yaml', DEFAULT_POLICY],
    ['registry/README.md', '# Registry\n\nOne folder per model: `<model>/model.yaml` and `<model>/versions/<semver>.yaml`, written by `modelreg`.\n'],
    ...(await ciFiles(ctx, askedCi, { spec: cli.spec })),
  ];
  for (const s of ['version', 'model', 'policy', 'config', 'deployment', 'analysis']) files.push([`.modelreg/schemas/${s}.schema.json`, await readPackageFile(`schemas/${s}.schema.json`)]);
  const created: string[] = [];
  const out = await runWrite(ctx, {}, async (snap) => {
    const changes = [];
    for (const [path, content] of files) {
      if ((await snap.entry(path)) === undefined) {
        changes.push({ path, content });
        created.push(path);
      }
    }
    return { changes, message: { subject: 'init modelreg registry', trailers: [['Modelreg-Action', 'init']] }, result: {} };
  });
  const warnings = [...cli.warnings];
  const kept = files.map(([path]) => path).filter((f) => CI_FILES.includes(f) && !created.includes(f));
  if (kept.length && input.cliSource !== undefined) warnings.push(`${kept.join(' and ')} already existed and ${kept.length > 1 ? 'were' : 'was'} left as ${kept.length > 1 ? 'they were' : 'it was'}; change the install step there to ${cli.spec} by hand.`);
  return { ...out, dir, created, newRepository, cliSource: cli.spec, warnings };
}

const CI_FILES = ['.github/workflows/modelreg.yml', '.gitlab-ci.yml'];

/** The CI files to write: those asked for, else the remote's forge's, else GitHub's; each installs a pinned modelreg. */
async function ciFiles(ctx: Context, asked: ForgeName[] | undefined, cli: CliSource): Promise<Array<[string, string]>> {
  let forges: ForgeName[];
  if (asked?.length) {
    forges = asked;
  } else {
    const { remoteUrl } = await import('../storage/remote.js');
    const url = await remoteUrl(ctx.repo).catch(() => undefined);
    forges = [(url ? forgeOfRemote(url, ctx.env)?.forge : undefined) ?? 'github'];
  }
  const files: Record<ForgeName, [string, string]> = { github: [CI_FILES[0], githubWorkflow(cli)], gitlab: [CI_FILES[1], gitlabCi({ install: installCommand(cli) })] };
  return [...new Set(forges)].map((f) => files[f]);
}
