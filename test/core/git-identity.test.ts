/**
 * The identity that decides who approves is the one Git records: read from Git's config as Git
 * reads it (system, global, XDG, repository, worktree config, include and includeIf, the
 * GIT_CONFIG_* variables) and compared, setup by setup, with `git var GIT_AUTHOR_IDENT` run with
 * the same environment (HOME pointed at a temporary folder).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepo, resolveIdentity } from '../../src/storage/repo.js';
import { parseGitConfigEntries, wildmatchRegExp } from '../../src/storage/git-config.js';
import { isRegistryError } from '../../src/errors/index.js';
import { CONFIG_YAML, modelYaml, runCli, tempDir, versionYaml } from '../helpers/repo.js';

interface Setup {
  /** Files to write, relative to the setup's root (HOME is `home/`). */
  files: Record<string, string>;
  /** The repository (relative to the root) to ask in; created with `git init`. */
  repo?: string;
  /** A branch to create and check out. */
  branch?: string;
  /** Extra environment; `$ROOT` in a value is the setup's root. */
  env?: Record<string, string>;
  /** A linked worktree to ask in instead (relative to the root), added from the repository. */
  worktree?: string;
  /** Written to the linked worktree's own gitdir as config.worktree. */
  worktreeConfig?: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
}

/** Builds a setup and answers with Git's author identity and modelreg's, each `Name <email>` or `none`. */
async function both(setup: Setup): Promise<{ git: string; modelreg: string }> {
  const root = await tempDir('mrident-');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: join(root, 'home'), LANG: 'C', LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1' };
  for (const [k, v] of Object.entries(setup.env ?? {})) env[k] = v.replaceAll('$ROOT', root);
  await mkdir(join(root, 'home'), { recursive: true });
  const repo = join(root, setup.repo ?? 'home/work/registry');
  await mkdir(repo, { recursive: true });
  // The repository is made before the setup's files, so its own config can be one of them.
  const init = run('git', ['init', '-q', '-b', 'main', repo], root, { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' });
  expect(init.status, init.stderr).toBe(0);
  for (const [path, text] of Object.entries(setup.files)) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text.replaceAll('$ROOT', root), path.endsWith('/config') && path.includes('.git') ? { flag: 'a' } : {});
  }
  const quiet = { ...env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'x@x', GIT_COMMITTER_NAME: 'x', GIT_COMMITTER_EMAIL: 'x@x' };
  let cwd = repo;
  if (setup.branch || setup.worktree) expect(run('git', ['commit', '-q', '--allow-empty', '-m', 'start'], repo, quiet).status).toBe(0);
  if (setup.branch) expect(run('git', ['checkout', '-q', '-b', setup.branch], repo, quiet).status).toBe(0);
  if (setup.worktree) {
    cwd = join(root, setup.worktree);
    const add = run('git', ['worktree', 'add', '-q', '-b', 'wt', cwd], repo, quiet);
    expect(add.status, add.stderr).toBe(0);
    const own = run('git', ['rev-parse', '--absolute-git-dir'], cwd, quiet).stdout.trim();
    if (setup.worktreeConfig) await writeFile(join(own, 'config.worktree'), setup.worktreeConfig);
  }
  const g = run('git', ['var', 'GIT_AUTHOR_IDENT'], cwd, env);
  const git = g.status === 0 ? g.stdout.replace(/ \d+ [+-]\d{4}\n$/, '') : 'none';
  let modelreg: string;
  try {
    const id = await resolveIdentity((await findRepo(cwd)).gitdir, env);
    modelreg = `${id.name} <${id.email}>`;
  } catch (e) {
    if (!isRegistryError(e) || e.code !== 'NO_IDENTITY') throw e;
    modelreg = 'none';
  }
  return { git, modelreg };
}

const user = (name: string, email: string) => `[user]\n\tname = ${name}\n\temail = ${email}\n`;

/** Each setup: what Git answers, which modelreg must answer too. */
const SETUPS: Array<[string, Setup, string]> = [
  ['~/.gitconfig', { files: { 'home/.gitconfig': user('Ada Lovelace', 'ada@example.com') } }, 'Ada Lovelace <ada@example.com>'],
  ['~/.config/git/config, overridden by ~/.gitconfig', { files: { 'home/.config/git/config': user('Xdg Person', 'xdg@example.com'), 'home/.gitconfig': '[user]\n\temail = home@example.com\n' } }, 'Xdg Person <home@example.com>'],
  ['$XDG_CONFIG_HOME/git/config', { files: { 'xdg/git/config': user('Xdg Home', 'xdg@example.com'), 'home/.config/git/config': user('Not Read', 'no@example.com') }, env: { XDG_CONFIG_HOME: '$ROOT/xdg' } }, 'Xdg Home <xdg@example.com>'],
  ['GIT_CONFIG_GLOBAL replaces both global files', { files: { 'home/.gitconfig': user('Not Read', 'no@example.com'), 'elsewhere.cfg': user('Global Var', 'gv@example.com') }, env: { GIT_CONFIG_GLOBAL: '$ROOT/elsewhere.cfg' } }, 'Global Var <gv@example.com>'],
  ['the system config (GIT_CONFIG_SYSTEM), under the global one', { files: { 'etc/gitconfig': user('System Wide', 'sys@example.com'), 'home/.gitconfig': '[user]\n\tname = Global Name\n' }, env: { GIT_CONFIG_NOSYSTEM: '0', GIT_CONFIG_SYSTEM: '$ROOT/etc/gitconfig' } }, 'Global Name <sys@example.com>'],
  ['GIT_CONFIG_NOSYSTEM leaves the system config out', { files: { 'etc/gitconfig': user('System Wide', 'sys@example.com'), 'home/.gitconfig': '[user]\n\tuseConfigOnly = true\n' }, env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_SYSTEM: '$ROOT/etc/gitconfig' } }, 'none'],
  ['include.path relative to the including file, nested', { files: { 'home/.gitconfig': '[include]\n\tpath = conf/identity.inc\n', 'home/conf/identity.inc': '[include]\n\tpath = more/email.inc\n[user]\n\tname = Included Name\n', 'home/conf/more/email.inc': '[user]\n\temail = nested@example.com\n' } }, 'Included Name <nested@example.com>'],
  ['include.path with ~/ and a value set again after it', { files: { 'home/.gitconfig': '[include]\n\tpath = ~/id.inc\n[user]\n\tname = After Include\n', 'home/id.inc': user('Inside Include', 'inc@example.com') } }, 'After Include <inc@example.com>'],
  ['includeIf gitdir:~/work/ (the repository is under it)', { files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "gitdir:~/work/"]\n\tpath = work.inc\n', 'home/work.inc': '[user]\n\temail = me@work.example\n' } }, 'Personal <me@work.example>'],
  ['includeIf gitdir: that does not match', { files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "gitdir:~/other/"]\n\tpath = work.inc\n', 'home/work.inc': '[user]\n\temail = me@work.example\n' } }, 'Personal <me@home.example>'],
  ['includeIf gitdir/i: matches whatever the case', { files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "gitdir/i:~/WORK/"]\n\tpath = work.inc\n[includeIf "gitdir:~/WORK/"]\n\tpath = never.inc\n', 'home/work.inc': '[user]\n\temail = me@work.example\n', 'home/never.inc': '[user]\n\tname = Never\n' } }, 'Personal <me@work.example>'],
  ['includeIf gitdir: a relative pattern matches at any depth, ** and * wildcards', { files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "gitdir:work/registry/.git"]\n\tpath = a.inc\n[includeIf "gitdir:~/**/reg*/.git"]\n\tpath = b.inc\n', 'home/a.inc': '[user]\n\temail = relative@example.com\n', 'home/b.inc': '[user]\n\tname = Star Match\n' } }, 'Star Match <relative@example.com>'],
  ['includeIf gitdir:./ relative to the including file', { files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "gitdir:./work/"]\n\tpath = work.inc\n', 'home/work.inc': '[user]\n\temail = dot@work.example\n' } }, 'Personal <dot@work.example>'],
  ['includeIf onbranch: with a trailing slash', { branch: 'release/2024', files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "onbranch:release/"]\n\tpath = rel.inc\n[includeIf "onbranch:main"]\n\tpath = main.inc\n', 'home/rel.inc': '[user]\n\temail = release@example.com\n', 'home/main.inc': '[user]\n\tname = On Main\n' } }, 'Personal <release@example.com>'],
  ['includeIf hasconfig:remote.*.url: matches a remote of the repository', { files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "hasconfig:remote.*.url:https://git.example.com/work-org/**"]\n\tpath = work.inc\n[includeIf "hasconfig:remote.*.url:https://git.example.com/other/**"]\n\tpath = other.inc\n', 'home/work.inc': '[user]\n\temail = me@work.example\n', 'home/other.inc': '[user]\n\tname = Other Org\n', 'home/work/registry/.git/config': '[remote "origin"]\n\turl = https://git.example.com/work-org/registry.git\n' } }, 'Personal <me@work.example>'],
  ['the repository config over the global one, with its own includeIf and a relative include', { files: { 'home/.gitconfig': user('Global', 'global@example.com'), 'home/work/registry/.git/config': '[user]\n\temail = repo@example.com\n[include]\n\tpath = extra.inc\n', 'home/work/registry/.git/extra.inc': '[user]\n\tname = Repo Include\n' } }, 'Repo Include <repo@example.com>'],
  ['author.name and author.email over user.*', { files: { 'home/.gitconfig': user('User Name', 'user@example.com') + '[author]\n\tname = Author Name\n\temail = author@example.com\n' } }, 'Author Name <author@example.com>'],
  ['GIT_CONFIG_COUNT over every file, GIT_CONFIG_PARAMETERS over that', { files: { 'home/.gitconfig': user('File Name', 'file@example.com') }, env: { GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_VALUE_0: 'Count Name', GIT_CONFIG_KEY_1: 'User.Email', GIT_CONFIG_VALUE_1: 'count@example.com', GIT_CONFIG_PARAMETERS: "'user.name'='Param O'\\''Name'" } }, "Param O'Name <count@example.com>"],
  ['GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL over everything', { files: { 'home/.gitconfig': user('File Name', 'file@example.com') }, env: { GIT_AUTHOR_NAME: 'Env Name', GIT_AUTHOR_EMAIL: 'env@example.com', GIT_CONFIG_PARAMETERS: "'author.name'='P'" } }, 'Env Name <env@example.com>'],
  ['$EMAIL when no email is configured', { files: { 'home/.gitconfig': '[user]\n\tname = Only Name\n' }, env: { EMAIL: 'from-env@example.com' } }, 'Only Name <from-env@example.com>'],
  ['quotes, comments, escapes, continuations and <>', { files: { 'home/.gitconfig': '# comment\n[user] name = "Ada ; \\"The\\" Countess" # trailing\n  email = <ada@example.com>   ; comment\n[User "x"]\n\tname = not this\n[user]\n\tname = Ada \\\n Lovelace\n' } }, 'Ada  Lovelace <ada@example.com>'],
  ['no identity anywhere', { files: { 'home/.gitconfig': '[user]\n\tuseConfigOnly = true\n' } }, 'none'],
  ['a linked worktree: the shared config, config.worktree, includeIf on its branch', { worktree: 'home/wt', files: { 'home/.gitconfig': user('Personal', 'me@home.example') + '[includeIf "onbranch:wt"]\n\tpath = wt.inc\n', 'home/wt.inc': '[user]\n\tname = Worktree Branch\n', 'home/work/registry/.git/config': '[extensions]\n\tworktreeConfig = true\n[user]\n\temail = shared@example.com\n' }, worktreeConfig: '[user]\n\temail = own@example.com\n' }, 'Worktree Branch <own@example.com>'],
];

describe('the Git identity, as `git var GIT_AUTHOR_IDENT` gives it', () => {
  for (const [name, setup, expected] of SETUPS) {
    it(name, async () => {
      const r = await both(setup);
      expect(r.git, 'git itself').toBe(expected);
      expect(r.modelreg).toBe(r.git);
    });
  }

  it('a config file Git refuses is bad input naming the file and line', async () => {
    const root = await tempDir('mrident-');
    await mkdir(join(root, 'home'), { recursive: true });
    await writeFile(join(root, 'home/.gitconfig'), '[user]\n\tname = "unterminated\n');
    run('git', ['init', '-q', join(root, 'r')], root, { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' });
    const err = await resolveIdentity(join(root, 'r/.git'), { HOME: join(root, 'home'), GIT_CONFIG_NOSYSTEM: '1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_INPUT', data: { file: join(root, 'home/.gitconfig'), line: 2 } });
  });

  it('the CLI records the approver an includeIf gives (end to end)', async () => {
    const root = await tempDir('mrident-');
    const home = join(root, 'home');
    const repo = join(home, 'work', 'registry');
    await mkdir(join(repo, 'policies'), { recursive: true });
    const env = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'x@x', GIT_COMMITTER_NAME: 'x', GIT_COMMITTER_EMAIL: 'x@x', GIT_CONFIG_GLOBAL: '/dev/null' };
    run('git', ['init', '-q', '-b', 'main', repo], root, env);
    const files: Record<string, string> = {
      'modelreg.yaml': CONFIG_YAML,
      'policies/default.yaml': 'apiVersion: modelreg/v1\nkind: Policy\nname: default\nstages:\n  - name: None\n  - name: Production\ntransitions:\n  - from: None\n    to: Production\n    approvals: { min: 1 }\n',
      'registry/m/model.yaml': modelYaml('m'),
      'registry/m/versions/1.0.0.yaml': versionYaml('m', '1.0.0'),
    };
    for (const [p, t] of Object.entries(files)) {
      await mkdir(dirname(join(repo, p)), { recursive: true });
      await writeFile(join(repo, p), t);
    }
    run('git', ['add', '-A'], repo, env);
    expect(run('git', ['commit', '-q', '-m', 'registry'], repo, env).status).toBe(0);
    await writeFile(join(home, '.gitconfig'), `${user('Work Reviewer', 'me@home.example')}[includeIf "gitdir:~/work/"]\n\tpath = work.inc\n`);
    await writeFile(join(home, 'work.inc'), '[user]\n\temail = reviewer@work.example\n');
    const r = await runCli(['approve', 'm', '1.0.0', '--stage', 'Production', '--json'], { cwd: repo, env: { HOME: home, GIT_AUTHOR_NAME: undefined, GIT_AUTHOR_EMAIL: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ by: 'reviewer@work.example' });
    expect(run('git', ['log', '-1', '--format=%an <%ae>'], repo, env).stdout.trim()).toBe('Work Reviewer <reviewer@work.example>');
  });
});

describe('Git config syntax and wildmatch', () => {
  it('parses what Git parses', () => {
    expect(parseGitConfigEntries('[Section "Sub.Name"]\nKey\n[a.B]\nx=1\n', 'f')).toEqual([
      { key: 'section.Sub.Name.key', value: null, line: 2 },
      { key: 'a.b.x', value: '1', line: 4 },
    ]);
    expect(() => parseGitConfigEntries('[user]\nname = a \\q\n', 'f')).toThrow(/line 2 in file f/);
    expect(() => parseGitConfigEntries('name = x\n', 'f')).toThrow(/outside any section/);
  });

  it('matches paths as Git\'s wildmatch does', () => {
    expect(wildmatchRegExp('**/work/**').test('/home/a/work/r/.git')).toBe(true);
    expect(wildmatchRegExp('/home/*/.git').test('/home/a/b/.git')).toBe(false);
    expect(wildmatchRegExp('/home/**/.git').test('/home/.git')).toBe(true);
    expect(wildmatchRegExp('release/[0-9]*').test('release/2024')).toBe(true);
    expect(wildmatchRegExp('release/[!0-9]*').test('release/2024')).toBe(false);
    expect(wildmatchRegExp('a?c').test('a/c')).toBe(false);
  });
});
