/**
 * Remote operations over smart HTTP with isomorphic-git: fetch one branch, push one branch
 * without force, clone. Credentials come from a token the caller passes (MODELREG_TOKEN or
 * GITHUB_TOKEN); they travel only in the Authorization header, are never written to disk and
 * never appear in an error message. isomorphic-git's errors become RegistryErrors here, so
 * callers branch on `code`: CONFLICT (push rejected, retry after a fetch), BAD_INPUT (no or
 * bad credentials), DENIED (the server's own rules refused the push), NOT_FOUND, IO.
 */
import * as fs from 'node:fs';
import { readdir } from 'node:fs/promises';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { RegistryError } from '../errors/index.js';
import { commonDir } from './worktree.js';
import { fullBranchRef, listRefs, readRef } from './refs.js';
import { readGitConfig, type RepoPaths } from './repo.js';

export interface RemoteOptions {
  /** The remote's name (default `origin`); names the remote-tracking refs too. */
  remote?: string;
  /** Overrides the remote's configured url. */
  url?: string;
  token?: string;
  /** An isomorphic-git cache object shared across calls. */
  cache?: object;
  onProgress?(msg: string): void;
}

type Repo = Pick<RepoPaths, 'dir' | 'gitdir'>;

const TOKEN_HINT = 'Set MODELREG_TOKEN (or GITHUB_TOKEN) to a token with access to the repository';

/** The token for remote operations: MODELREG_TOKEN, then GITHUB_TOKEN. */
export function remoteToken(env: NodeJS.ProcessEnv): string | undefined {
  return env.MODELREG_TOKEN || env.GITHUB_TOKEN || undefined;
}

/** Splits `https://user:secret@host/x` into the url without credentials and the password. */
function splitCredentials(url: string): { url: string; password?: string } {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return { url };
    const password = decodeURIComponent(u.password) || undefined;
    u.username = '';
    u.password = '';
    return { url: u.toString(), password };
  } catch {
    return { url };
  }
}

/** The url as it may appear in a message: never with credentials. */
function safeUrl(url: string): string {
  return splitCredentials(url).url;
}

/**
 * The url configured for `remote` in the repository's Git config.
 * @example await remoteUrl({ dir: '/reg', gitdir: '/reg/.git' }) // 'https://github.com/acme/registry.git'
 */
export async function remoteUrl(repo: Repo, remote = 'origin'): Promise<string> {
  const config = await readGitConfig(repo.gitdir);
  const url = config.get(`remote.${remote}.url`);
  if (!url) {
    throw new RegistryError('NOT_FOUND', `The repository has no remote named "${remote}". Add one with \`git remote add ${remote} <url>\`, or pass the url.`, { remote });
  }
  return url;
}

async function pushUrl(repo: Repo, remote: string): Promise<string> {
  const pushurl = (await readGitConfig(repo.gitdir)).get(`remote.${remote}.pushurl`);
  return pushurl ?? remoteUrl(repo, remote);
}

/** isomorphic-git's auth callback; undefined when there is no token, so a 401 surfaces at once. */
function authOptions(token: string | undefined) {
  if (!token) return {};
  return {
    onAuth: () => ({ username: 'x-access-token', password: token }),
    // A second 401 for the same token: stop instead of asking again.
    onAuthFailure: () => ({ cancel: true }),
  };
}

/**
 * Turns isomorphic-git's progress events and the server's messages into lines. For fetch and
 * clone isomorphic-git reports the server's "Counting objects: 50% (8/16)" lines both ways,
 * for push only as messages; both go through one emitter that drops repeats.
 */
function progressOptions(onProgress: RemoteOptions['onProgress']) {
  if (!onProgress) return {};
  let last = '';
  const emit = (phase: string, loaded: number, total: number) => {
    const line = total ? `${phase} ${Math.floor((loaded / total) * 100)}%` : `${phase} ${loaded}`;
    if (line !== last) onProgress((last = line));
  };
  return {
    onProgress: (e: { phase: string; loaded: number; total: number }) => emit(e.phase, e.loaded, e.total),
    onMessage: (msg: string) => {
      const line = msg.trim();
      const m = /^([^:]*):.*\((\d+)\/(\d+)\)/.exec(line);
      if (m) emit(m[1].trim(), Number(m[2]), Number(m[3]));
      else if (line && line !== last) onProgress((last = `remote: ${line}`));
    },
  };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']);

/** Server-side ref-update failures that mean "someone else moved the ref": fetch and retry. */
const RACE = /non-fast-forward|fetch first|failed to update ref|cannot lock ref|failed to lock|stale info|is at [0-9a-f]+ but expected/i;

interface Ctx { op: 'fetch' | 'push' | 'clone'; url: string; token?: string; ref?: string }

/** Maps an isomorphic-git or network error to a RegistryError; never puts the token in the text. */
function toRegistryError(e: unknown, ctx: Ctx): unknown {
  if (e instanceof RegistryError) return e;
  const err = e as { code?: string; data?: Record<string, any>; message?: string };
  const url = safeUrl(ctx.url);
  const data = { url, op: ctx.op, ...(ctx.ref ? { ref: ctx.ref } : {}) };
  const mk = (code: ConstructorParameters<typeof RegistryError>[0], message: string, extra: Record<string, unknown> = {}) =>
    new RegistryError(code, scrub(message, ctx.token), { ...data, ...extra }, { cause: e });
  switch (err?.code) {
    case 'PushRejectedError': {
      const reason = err.data?.reason as string | undefined;
      return mk('CONFLICT', reason === 'tag-exists'
        ? `The remote ${url} already has ${ctx.ref}; tags are never moved. Choose another name.`
        : `The remote ${url} has commits on ${ctx.ref} that this push does not include (non-fast-forward). Fetch, re-apply the change on the new tip and push again.`, { rejected: true, reason });
    }
    case 'GitPushError': {
      const result = err.data?.result as { ok?: boolean; error?: string } | undefined;
      if (result && result.ok === false) {
        return mk('IO', `The remote ${url} could not store the pushed objects (unpack ${result.error ?? 'failed'}). Run \`git fsck\` on this repository, then push again.`, { rejected: false, reason: result.error });
      }
      const refs = (err.data?.result?.refs ?? {}) as Record<string, { ok: boolean; error?: string }>;
      const reasons = Object.entries(refs).filter(([, r]) => !r.ok).map(([ref, r]) => `${ref}: ${r.error ?? 'rejected'}`);
      const text = reasons.join('; ') || (err.message ?? 'rejected');
      if (RACE.test(text)) {
        return mk('CONFLICT', `The remote ${url} rejected the push of ${ctx.ref} because the branch moved meanwhile (${text}). Fetch, re-apply the change on the new tip and push again.`, { rejected: true, reason: text });
      }
      return mk('DENIED', `The remote ${url} refused the push of ${ctx.ref} (${text}). If the branch is protected, push to a new branch and open a pull request (--branch, --pr).`, { rejected: false, reason: text });
    }
    case 'HttpError': {
      const status = Number(err.data?.statusCode);
      if (status === 401 || status === 403) return authError(ctx, url, status, mk);
      if (status === 404) return mk('NOT_FOUND', `There is no Git repository at ${url} (HTTP 404), or it is private and needs a token. Check the remote url; ${TOKEN_HINT.charAt(0).toLowerCase()}${TOKEN_HINT.slice(1)} if it is private.`, { status });
      return mk('IO', `The Git server at ${url} answered HTTP ${status} during ${ctx.op}. Try again later, or check the remote url.`, { status });
    }
    case 'UserCanceledError':
      return authError(ctx, url, 401, mk);
    case 'SmartHttpError':
      return mk('IO', `${url} did not answer as a Git smart-HTTP server during ${ctx.op}. Check the remote url (it should end in .git for most forges).`);
    case 'UrlParseError':
    case 'UnknownTransportError':
      return mk('BAD_INPUT', `${url} is not an http(s) url; modelreg talks to remotes over HTTPS only. Set the remote to its https:// url (\`git remote set-url origin https://…\`).`);
    case 'NotFoundError':
      return mk('NOT_FOUND', `The remote ${url} has no ${err.data?.what ?? ctx.ref ?? 'such ref'}. Check the branch name.`, { what: err.data?.what });
    default:
      if (err?.code && NETWORK_CODES.has(err.code)) {
        return mk('IO', `Could not reach ${url} during ${ctx.op} (${err.code}). Check the url and your network, then try again.`, { errno: err.code });
      }
      return e;
  }
}

function authError(ctx: Ctx, url: string, status: number, mk: (c: 'BAD_INPUT', m: string, x?: Record<string, unknown>) => RegistryError): RegistryError {
  const message = ctx.token
    ? `The remote ${url} refused the token (HTTP ${status}) during ${ctx.op}. ${TOKEN_HINT} (repository contents: read and write), then try again.`
    : `The remote ${url} requires authentication (HTTP ${status}) for ${ctx.op}. ${TOKEN_HINT}, then try again.`;
  return mk('BAD_INPUT', message, { status, auth: true });
}

/** Belt and braces: a message never carries the token, whatever a server echoed. */
function scrub(text: string, token: string | undefined): string {
  return token && token.length >= 4 ? text.split(token).join('***') : text;
}

/** The url to talk to and the token to use: the options, the config, credentials in the url. */
async function resolveTarget(repo: Repo, opts: RemoteOptions, forPush: boolean): Promise<{ url: string; token?: string }> {
  const remote = opts.remote ?? 'origin';
  const raw = opts.url ?? (await (forPush ? pushUrl(repo, remote) : remoteUrl(repo, remote)));
  const { url, password } = splitCredentials(raw);
  return { url, token: opts.token || password };
}

function shortBranch(ref: string): string {
  return ref.replace(/^refs\/heads\//, '');
}

/**
 * Fetches `branch` from the remote and moves `refs/remotes/<remote>/<branch>` to its tip.
 * Leaves the local branch, the working tree and the index alone.
 * @returns the remote tip, or undefined when the remote has no such branch.
 * @example const tip = await fetchBranch(repo, 'main', { token: remoteToken(process.env) });
 */
export async function fetchBranch(repo: Repo, branch: string, opts: RemoteOptions & { have?: string } = {}): Promise<string | undefined> {
  const remote = opts.remote ?? 'origin';
  const remoteRef = fullBranchRef(branch);
  const name = shortBranch(remoteRef);
  const { url, token } = await resolveTarget(repo, opts, false);
  await assertFetchRefspec(repo, remote);
  const tracking = `refs/remotes/${remote}/${name}`;
  // With singleBranch, isomorphic-git tells the server it "has" only `ref`'s tip (no ancestors).
  // The last known remote tip is one the server knows; an unpushed local tip is not, and
  // would make the server send the whole history.
  // A branch new to this clone has neither: name one it has (opts.have), or the server sends everything.
  const have = (await readRef(repo.gitdir, tracking)) ? tracking : (await readRef(repo.gitdir, remoteRef)) || !opts.have ? remoteRef : opts.have;
  let tip: string | null;
  try {
    const res = await git.fetch({
      fs, http, gitdir: commonDir(repo.gitdir), cache: opts.cache, url, remote,
      ref: have, remoteRef, singleBranch: true, tags: false,
      ...authOptions(token), ...progressOptions(opts.onProgress),
    });
    tip = res.fetchHead;
  } catch (e) {
    // The remote has refs, but not this branch.
    if ((e as { code?: string; data?: { what?: string } }).code === 'NotFoundError' && (e as { data?: { what?: string } }).data?.what === remoteRef) return undefined;
    throw toRegistryError(e, { op: 'fetch', url, token, ref: remoteRef });
  }
  if (!tip) return undefined; // an empty repository
  // The configured refspec may not map this branch (a single-branch clone of another one).
  if ((await readRef(repo.gitdir, tracking)) !== tip) {
    await git.writeRef({ fs, gitdir: commonDir(repo.gitdir), ref: tracking, value: tip, force: true });
  }
  return tip;
}

/**
 * Fetches every branch of the remote under `prefix` (`modelreg/`) whose tip changed, moves its
 * remote-tracking ref, and removes the tracking refs of branches the remote no longer has.
 * @returns branch name -> tip on the remote
 * @example await fetchBranchesUnder(repo, 'modelreg/', { remote: 'origin' })
 */
export async function fetchBranchesUnder(repo: Repo, prefix: string, opts: RemoteOptions = {}): Promise<Map<string, string>> {
  const remote = opts.remote ?? 'origin';
  const { url, token } = await resolveTarget(repo, opts, false);
  let refs: Array<{ ref: string; oid: string }>;
  try {
    refs = await git.listServerRefs({ http, url, prefix: `refs/heads/${prefix}`, ...authOptions(token) });
  } catch (e) {
    throw toRegistryError(e, { op: 'fetch', url, token, ref: `refs/heads/${prefix}` });
  }
  const out = new Map<string, string>();
  for (const r of refs) {
    const name = r.ref.slice('refs/heads/'.length);
    out.set(name, r.oid);
    if ((await readRef(repo.gitdir, `refs/remotes/${remote}/${name}`)) !== r.oid) await fetchBranch(repo, name, { ...opts, have: 'HEAD' });
  }
  for (const ref of (await listRefs(repo.gitdir, `refs/remotes/${remote}/${prefix}`)).keys()) {
    if (!out.has(ref.slice(`refs/remotes/${remote}/`.length))) await git.deleteRef({ fs, gitdir: commonDir(repo.gitdir), ref });
  }
  return out;
}

/** isomorphic-git needs `remote.<name>.fetch` to name the tracking refs; say so before downloading. */
async function assertFetchRefspec(repo: Repo, remote: string): Promise<void> {
  const specs = await git.getConfigAll({ fs, gitdir: commonDir(repo.gitdir), path: `remote.${remote}.fetch` });
  if (specs.length === 0) {
    throw new RegistryError('BAD_INPUT', `The remote "${remote}" has no fetch refspec in ${commonDir(repo.gitdir)}/config. Add one with \`git config remote.${remote}.fetch '+refs/heads/*:refs/remotes/${remote}/*'\` (or \`git remote add ${remote} <url>\`).`, { remote });
  }
}

/**
 * Pushes `localRef` to `remoteRef` without force and moves the remote-tracking ref on success.
 * A non-fast-forward (or a race lost on the server) throws CONFLICT with `data.rejected`.
 * @example await pushBranch(repo, 'refs/heads/main', 'refs/heads/main', { token });
 */
export async function pushBranch(repo: Repo, localRef: string, remoteRef: string, opts: RemoteOptions = {}): Promise<void> {
  const remote = opts.remote ?? 'origin';
  const local = fullBranchRef(localRef);
  const target = fullBranchRef(remoteRef);
  if (!(await readRef(repo.gitdir, local))) {
    throw new RegistryError('NOT_FOUND', `There is no ${local} to push. Check the branch name.`, { ref: local });
  }
  const { url, token } = await resolveTarget(repo, opts, true);
  try {
    await git.push({
      fs, http, gitdir: commonDir(repo.gitdir), cache: opts.cache, url, remote,
      ref: local, remoteRef: target, force: false,
      ...authOptions(token), ...progressOptions(opts.onProgress),
    });
  } catch (e) {
    throw toRegistryError(e, { op: 'push', url, token, ref: target });
  }
}

/**
 * Clones `url` into `dir` (which must not exist or be empty). The saved remote url carries no
 * credentials, even when `url` did.
 * @example await cloneRepo('https://github.com/acme/registry.git', '/tmp/reg', { branch: 'main' });
 */
export async function cloneRepo(url: string, dir: string, opts: RemoteOptions & { branch?: string } = {}): Promise<void> {
  const { url: clean, password } = splitCredentials(url);
  const token = opts.token || password;
  const existing = await readdir(dir).catch(() => undefined);
  if (existing && existing.length > 0) {
    throw new RegistryError('BAD_INPUT', `${dir} already exists and is not empty. Clone into a new folder.`, { dir });
  }
  try {
    await git.clone({
      fs, http, dir, cache: opts.cache, url: clean, remote: opts.remote ?? 'origin',
      ref: opts.branch ? shortBranch(opts.branch) : undefined, singleBranch: false, noTags: true,
      ...authOptions(token), ...progressOptions(opts.onProgress),
    });
  } catch (e) {
    // Leave no half-cloned repository behind for the next attempt to trip over.
    if (!existing) await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    else await fs.promises.rm(`${dir}/.git`, { recursive: true, force: true }).catch(() => undefined);
    throw toRegistryError(e, { op: 'clone', url: clean, token, ref: opts.branch && fullBranchRef(opts.branch) });
  }
  // An empty remote leaves isomorphic-git's HEAD on `master`; point it at the branch asked for.
  const gitdir = `${dir}/.git`;
  if (!(await readRef(gitdir, 'HEAD'))) {
    await git.writeRef({ fs, gitdir, ref: 'HEAD', value: fullBranchRef(opts.branch ?? 'main'), symbolic: true, force: true });
  }
}
