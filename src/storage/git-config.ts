/** Git's config format: the reader repo.ts (identity, remotes) and worktree.ts (core.bare) share. */

/** A tiny reader for Git's config format: enough for [user], [remote] and [branch] values. */
export function parseGitConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)[#;].*$/, '').trim();
    if (!line) continue;
    const sec = /^\[([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\]$/.exec(line);
    if (sec) {
      section = sec[2] !== undefined ? `${sec[1].toLowerCase()}.${sec[2]}` : sec[1].toLowerCase();
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (kv && section) {
      let v = (kv[2] ?? 'true').trim();
      if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
      out.set(`${section}.${kv[1].toLowerCase()}`, v);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Git's config as Git reads it: every file in Git's order, includes and conditional includes, the
// GIT_CONFIG_* variables. The identity that decides who approves comes from here, so it must be
// the identity `git commit` would record (tested against `git var GIT_AUTHOR_IDENT`).

/** One `key = value` of a config file, in file order; a key without `=` has the value null (true). */
export interface GitConfigEntry {
  /** `section.key` or `section.subsection.key`: section and key lowercased, the subsection as written. */
  key: string;
  value: string | null;
  line: number;
}

/** A config file Git would refuse: the file, the line, what is wrong. */
export class GitConfigSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number, what: string) {
    super(`bad config line ${line} in file ${file}: ${what}`);
  }
}

const isAlpha = (c: string) => /^[A-Za-z]$/.test(c);
const isKeyChar = (c: string) => /^[A-Za-z0-9-]$/.test(c);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r';

/**
 * Parses a config file the way Git's config.c does: sections `[s]`, `[s "sub"]` and `[s.sub]`,
 * entries after a header on the same line, values with quotes, escapes (\\ \" \n \t \b), line
 * continuations and comments (`#` or `;` anywhere outside quotes), a leading UTF-8 BOM.
 * @example parseGitConfigEntries('[user]\n\tname = "Ada ; L" # x\n', 'cfg') // [{ key: 'user.name', value: 'Ada ; L', line: 2 }]
 */
export function parseGitConfigEntries(source: string, file: string): GitConfigEntry[] {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const out: GitConfigEntry[] = [];
  let i = 0;
  let line = 1;
  let section: string | undefined;
  const fail = (what: string): never => {
    throw new GitConfigSyntaxError(file, line, what);
  };
  const next = () => {
    const c = i < text.length ? text[i++] : '\n';
    if (c === '\n') line++;
    return c;
  };
  const atEnd = () => i >= text.length;
  const header = () => {
    let name = '';
    for (;;) {
      if (atEnd()) fail('unterminated section header');
      const c = next();
      if (c === ']') return name.toLowerCase();
      if (isSpace(c)) break;
      if (!isKeyChar(c) && c !== '.') fail(`invalid character ${JSON.stringify(c)} in a section name`);
      name += c;
    }
    let c = next();
    while (isSpace(c)) c = next();
    if (c !== '"') fail('a subsection must be in double quotes');
    let sub = '';
    for (;;) {
      c = next();
      if (c === '\n') fail('unterminated subsection');
      if (c === '"') break;
      if (c === '\\') {
        c = next();
        if (c === '\n') fail('unterminated subsection');
      }
      sub += c;
    }
    if (next() !== ']') fail('expected ] after the subsection');
    return `${name.toLowerCase()}.${sub}`;
  };
  const value = (): string => {
    let v = '';
    let quote = false;
    let comment = false;
    let trimAt = -1;
    for (;;) {
      let c = next();
      if (c === '\n') {
        if (quote) {
          line--; // Git reports the line the value started on
          fail('unterminated quoted value');
        }
        return trimAt >= 0 ? v.slice(0, trimAt) : v;
      }
      if (comment) continue;
      if (isSpace(c) && !quote) {
        if (trimAt < 0) trimAt = v.length;
        if (v.length) v += c;
        continue;
      }
      if (!quote && (c === ';' || c === '#')) {
        comment = true;
        continue;
      }
      trimAt = -1;
      if (c === '\\') {
        c = next();
        if (c === '\n') continue;
        const escaped: Record<string, string> = { t: '\t', b: '\b', n: '\n', '\\': '\\', '"': '"' };
        if (!(c in escaped)) fail(`unknown escape \\${c}`);
        v += escaped[c];
        continue;
      }
      if (c === '"') {
        quote = !quote;
        continue;
      }
      v += c;
    }
  };
  while (!atEnd()) {
    const c = next();
    if (c === '\n' || isSpace(c)) continue;
    if (c === '#' || c === ';') {
      while (!atEnd() && next() !== '\n');
      continue;
    }
    if (c === '[') {
      section = header();
      continue;
    }
    if (!isAlpha(c)) fail(`unexpected ${JSON.stringify(c)}`);
    if (section === undefined) fail('a key outside any section');
    let name = c;
    while (!atEnd() && isKeyChar(text[i])) name += next();
    const at = line;
    let d = next();
    while (isSpace(d)) d = next();
    if (d === '\n') out.push({ key: `${section}.${name.toLowerCase()}`, value: null, line: at });
    else if (d === '=') out.push({ key: `${section}.${name.toLowerCase()}`, value: value(), line: at });
    else fail(`expected = after ${name}`);
  }
  return out;
}

/**
 * Git's wildmatch with WM_PATHNAME, as a regular expression: `*` and `?` stop at `/`, `**` between
 * slashes spans folders, `[...]` classes (`!` or `^` negates), `\` quotes.
 * @example wildmatchRegExp('**' + '/work/**').test('/home/a/work/r/.git') // true
 */
export function wildmatchRegExp(pattern: string, caseFold = false): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const atStart = i === 0 || pattern[i - 1] === '/';
        let j = i;
        while (pattern[j] === '*') j++;
        const atEnd = j === pattern.length || pattern[j] === '/';
        if (atStart && atEnd) {
          if (j === pattern.length) re += '.*';
          else { re += '(?:.*/)?'; j++; }
          i = j - 1;
          continue;
        }
        i = j - 1;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) { re += '\\['; continue; }
      let body = pattern.slice(i + 1, end);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      body = body.replace(/\[:(\w+):\]/g, (_m, cls: string) => ({ alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s', xdigit: '0-9A-Fa-f' } as Record<string, string>)[cls] ?? '').replace(/\\(?![-\]^\\])/g, '').replace(/[\]\\^]/g, (x) => `\\${x}`);
      re += `[${negate ? '^/' : ''}${body}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, caseFold ? 'i' : '');
}

/** What Git's reading of config depends on, besides the files. */
export interface GitConfigScope {
  /** The repository's gitdir for this checkout (a linked worktree's own), if there is a repository. */
  gitdir?: string;
  /** The gitdir every worktree shares (where `config` is). */
  commondir?: string;
  env: NodeJS.ProcessEnv;
  /** File system reads, replaceable in tests: undefined when a file cannot be read. */
  readFile: (path: string) => string | undefined;
  realpath: (path: string) => string | undefined;
}

const MAX_INCLUDE_DEPTH = 10;

function expandHome(path: string, env: NodeJS.ProcessEnv): string | undefined {
  if (path === '~' || path.startsWith('~/')) return env.HOME ? env.HOME + path.slice(1) : undefined;
  return path;
}

const dirOf = (file: string) => file.slice(0, Math.max(file.lastIndexOf('/'), 0)) || '/';
const isAbsolute = (p: string) => p.startsWith('/');

/** One reading of the whole config: where entries go, and how `hasconfig:remote.*.url:` is decided. */
interface Reading {
  scope: GitConfigScope;
  onEntry: (key: string, value: string | null) => void;
  /** Git's first pass, which collects remote URLs, includes every hasconfig file unconditionally. */
  unconditionalRemoteUrl: boolean;
  remoteUrls: () => string[];
}

/** `includeIf` conditions Git knows: gitdir:, gitdir/i:, onbranch:, hasconfig:remote.*.url:. Others never match (as in Git). */
function conditionHolds(condition: string, includingFile: string, reading: Reading): boolean {
  const scope = reading.scope;
  const remote = /^hasconfig:remote\.\*\.url:(.*)$/s.exec(condition);
  if (remote) return reading.unconditionalRemoteUrl || reading.remoteUrls().some((url) => wildmatchRegExp(remote[1]).test(url));
  const m = /^(gitdir|gitdir\/i|onbranch):(.*)$/s.exec(condition);
  if (!m || !scope.gitdir) return false;
  if (m[1] === 'onbranch') {
    const head = scope.readFile(`${scope.gitdir}/HEAD`)?.trim();
    const branch = head?.startsWith('ref: refs/heads/') ? head.slice('ref: refs/heads/'.length) : undefined;
    if (!branch) return false;
    const pattern = m[2].endsWith('/') ? `${m[2]}**` : m[2];
    return wildmatchRegExp(pattern).test(branch);
  }
  const fold = m[1] === 'gitdir/i';
  let pattern = expandHome(m[2], scope.env);
  if (pattern === undefined) return false;
  let prefix = 0;
  if (pattern.startsWith('./')) {
    const dir = dirOf(scope.realpath(includingFile) ?? includingFile);
    pattern = dir + pattern.slice(1);
    prefix = dir.length + 1;
  } else if (!isAbsolute(pattern)) pattern = `**/${pattern}`;
  if (pattern.endsWith('/')) pattern += '**';
  const test = (text: string) => {
    const head = pattern!.slice(0, prefix);
    const same = fold ? text.slice(0, prefix).toLowerCase() === head.toLowerCase() : text.slice(0, prefix) === head;
    return same && wildmatchRegExp(pattern!.slice(prefix), fold).test(text.slice(prefix));
  };
  const real = scope.realpath(scope.gitdir);
  return (real !== undefined && test(real)) || test(scope.gitdir);
}

/** Reads one config file, following include.path and includeIf.<condition>.path where they appear, as Git does. */
function readConfigFile(file: string, reading: Reading, depth: number): void {
  const text = reading.scope.readFile(file);
  if (text === undefined) return;
  for (const e of parseGitConfigEntries(text, file)) {
    reading.onEntry(e.key, e.value);
    const conditional = /^includeif\.(.*)\.path$/s.exec(e.key);
    if (e.key !== 'include.path' && !(conditional && conditionHolds(conditional[1], file, reading))) continue;
    if (e.value === null) throw new GitConfigSyntaxError(file, e.line, `${e.key} needs a path`);
    let path = expandHome(e.value, reading.scope.env);
    if (path === undefined) continue;
    if (!isAbsolute(path)) path = `${dirOf(file)}/${path}`;
    if (depth + 1 > MAX_INCLUDE_DEPTH) throw new GitConfigSyntaxError(file, e.line, `includes nest more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
    readConfigFile(path, reading, depth + 1);
  }
}

const envTrue = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/** The files Git reads, lowest precedence first: system, global (XDG, then ~/.gitconfig), the repository, its worktree config. */
export function gitConfigFiles(scope: GitConfigScope, repoConfig?: Map<string, string>): string[] {
  const env = scope.env;
  const files: string[] = [];
  if (!envTrue(env.GIT_CONFIG_NOSYSTEM)) files.push(env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig');
  if (env.GIT_CONFIG_GLOBAL !== undefined) files.push(env.GIT_CONFIG_GLOBAL);
  else {
    const xdg = env.XDG_CONFIG_HOME ? `${env.XDG_CONFIG_HOME}/git/config` : env.HOME ? `${env.HOME}/.config/git/config` : undefined;
    if (xdg) files.push(xdg);
    if (env.HOME) files.push(`${env.HOME}/.gitconfig`);
  }
  if (scope.commondir) files.push(`${scope.commondir}/config`);
  if (scope.commondir && scope.gitdir && envTrue(repoConfig?.get('extensions.worktreeconfig'))) files.push(`${scope.gitdir}/config.worktree`);
  return files.filter((f) => f !== '');
}

/** `GIT_CONFIG_PARAMETERS` as `git -c` writes it: `'key'='value'` or `'key=value'`, shell-quoted, space-separated. */
function parseConfigParameters(text: string): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  const word = /'((?:[^']|'\\'')*)'/y;
  let i = 0;
  const unq = (s: string) => s.replace(/'\\''/g, "'");
  while (i < text.length) {
    if (/\s/.test(text[i])) { i++; continue; }
    word.lastIndex = i;
    const k = word.exec(text);
    if (!k) break;
    i = word.lastIndex;
    if (text[i] === '=') {
      word.lastIndex = i + 1;
      const v = word.exec(text);
      if (!v) break;
      i = word.lastIndex;
      out.push([unq(k[1]), unq(v[1])]);
    } else {
      const kv = unq(k[1]);
      const eq = kv.indexOf('=');
      out.push(eq < 0 ? [kv, null] : [kv.slice(0, eq), kv.slice(eq + 1)]);
    }
  }
  return out;
}

/** A `section[.subsection].key` from the command line or the environment, normalised as a file's would be. */
function normaliseKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}${key.slice(first, last)}.${key.slice(last + 1).toLowerCase()}`;
}

/**
 * Git's effective config (the last value of each key wins), read as `git config --list` would:
 * system, global, repository and worktree files with their includes, then GIT_CONFIG_COUNT /
 * GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n, then GIT_CONFIG_PARAMETERS (`git -c`). Throws
 * GitConfigSyntaxError for a file Git would refuse.
 * @example readGitConfigLikeGit({ gitdir, commondir: gitdir, env: process.env, readFile, realpath }).get('user.email')
 */
export function readGitConfigLikeGit(scope: GitConfigScope): Map<string, string> {
  // The repository's own config decides whether config.worktree is read.
  const repo = new Map<string, string>();
  if (scope.commondir) {
    const text = scope.readFile(`${scope.commondir}/config`);
    if (text !== undefined) for (const e of parseGitConfigEntries(text, `${scope.commondir}/config`)) repo.set(e.key, e.value ?? 'true');
  }
  const files = gitConfigFiles(scope, repo);
  let urls: string[] | undefined;
  // As Git does, on the first hasconfig:remote.*.url: condition: read everything once, every
  // such include followed, and collect the remote URLs the conditions are matched against.
  const remoteUrls = () => (urls ??= collect(files, scope));
  const out = new Map<string, string>();
  readSequence(files, { scope, onEntry: (k, v) => out.set(k, v ?? 'true'), unconditionalRemoteUrl: false, remoteUrls });
  return out;
}

function collect(files: string[], scope: GitConfigScope): string[] {
  const urls: string[] = [];
  readSequence(files, { scope, onEntry: (k, v) => { if (v !== null && /^remote\..*\.url$/s.test(k)) urls.push(v); }, unconditionalRemoteUrl: true, remoteUrls: () => [] });
  return urls;
}

/** The files in order, then GIT_CONFIG_COUNT / KEY / VALUE, then GIT_CONFIG_PARAMETERS. */
function readSequence(files: string[], reading: Reading): void {
  for (const file of files) readConfigFile(file, reading, 0);
  const env = reading.scope.env;
  const count = env.GIT_CONFIG_COUNT !== undefined ? Number(env.GIT_CONFIG_COUNT) : 0;
  if (!Number.isInteger(count) || count < 0) throw new GitConfigSyntaxError('GIT_CONFIG_COUNT', 0, `${JSON.stringify(env.GIT_CONFIG_COUNT)} is not a count`);
  for (let n = 0; n < count; n++) {
    const key = env[`GIT_CONFIG_KEY_${n}`];
    const value = env[`GIT_CONFIG_VALUE_${n}`];
    if (!key) throw new GitConfigSyntaxError('GIT_CONFIG_COUNT', 0, `GIT_CONFIG_KEY_${n} is missing or empty`);
    if (value === undefined) throw new GitConfigSyntaxError('GIT_CONFIG_COUNT', 0, `GIT_CONFIG_VALUE_${n} is missing`);
    reading.onEntry(normaliseKey(key), value);
  }
  for (const [key, value] of parseConfigParameters(env.GIT_CONFIG_PARAMETERS ?? '')) reading.onEntry(normaliseKey(key), value);
}

/** Git's "crud" at either end of a name or email (ident.c), and the delimiters it drops inside. */
function withoutCrud(s: string): string {
  const crud = (c: string) => c.charCodeAt(0) <= 32 || '.,:;<>"\\\''.includes(c);
  let a = 0;
  let b = s.length;
  while (a < b && crud(s[a])) a++;
  while (b > a && crud(s[b - 1])) b--;
  return s.slice(a, b).replace(/[\n<>]/g, '');
}

/**
 * The author identity Git records, from the environment and effective config (ident.c):
 * GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL when set (even empty), else author.name / author.email,
 * else user.name / user.email, else (email only) $EMAIL. Git would then guess from the system
 * (login name and host); modelreg does not guess who approves, so a missing part is reported.
 * @example gitAuthorIdent({ GIT_AUTHOR_NAME: 'Ada' }, new Map([['user.email', 'ada@x.io']])) // { name: 'Ada', email: 'ada@x.io' }
 */
export function gitAuthorIdent(env: NodeJS.ProcessEnv, config: Map<string, string>): { name?: string; email?: string } {
  const pick = (...vs: Array<string | undefined>) => vs.find((v) => v !== undefined);
  const email = pick(env.GIT_AUTHOR_EMAIL, config.get('author.email') || undefined, config.get('user.email'), env.EMAIL);
  const name = pick(env.GIT_AUTHOR_NAME, config.get('author.name') || undefined, config.get('user.name'));
  const out: { name?: string; email?: string } = {};
  if (name !== undefined && name !== '') out.name = withoutCrud(name);
  if (email !== undefined) out.email = withoutCrud(email);
  return out;
}
