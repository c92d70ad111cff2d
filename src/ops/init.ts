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
import { githubWorkflow, gitlabCi } from './templates.js';
import { forgeName, forgeOfRemote, type ForgeName } from '../forge/index.js';

export interface InitInput {
  dir?: string;
  branch?: string;
  /** Which CI files to write: github (.github/workflows/modelreg.yml), gitlab (.gitlab-ci.yml); default: the forge of the remote url, else github. */
  ci?: string[];
}

export interface InitResult extends WriteOutcome {
  dir: string;
  created: string[];
  newRepository: boolean;
}

export async function init(input: InitInput, options: RegistryOptions = {}): Promise<InitResult> {
  const dir = resolve(input.dir ?? options.dir ?? process.cwd());
  const askedCi = input.ci?.length ? input.ci.flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean).map(forgeName) : undefined; // bad input changes nothing
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
    ...(await ciFiles(ctx, askedCi)),
  ];
  for (const s of ['version', 'model', 'policy', 'config']) files.push([`.modelreg/schemas/${s}.schema.json`, await readPackageFile(`schemas/${s}.schema.json`)]);
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
  return { ...out, dir, created, newRepository };
}

/** The CI files to write: those asked for, else the remote's forge's, else GitHub's. */
async function ciFiles(ctx: Context, asked: ForgeName[] | undefined): Promise<Array<[string, string]>> {
  let forges: ForgeName[];
  if (asked?.length) {
    forges = asked;
  } else {
    const { remoteUrl } = await import('../storage/remote.js');
    const url = await remoteUrl(ctx.repo).catch(() => undefined);
    forges = [(url ? forgeOfRemote(url, ctx.env)?.forge : undefined) ?? 'github'];
  }
  const files: Record<ForgeName, [string, string]> = { github: ['.github/workflows/modelreg.yml', githubWorkflow()], gitlab: ['.gitlab-ci.yml', gitlabCi()] };
  return [...new Set(forges)].map((f) => files[f]);
}
