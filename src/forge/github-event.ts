/**
 * The pull request a GitHub Actions run is for, read from the webhook payload the runner
 * writes to GITHUB_EVENT_PATH. The payload of `pull_request` and `pull_request_target` (and
 * of `pull_request_review`, which carries the same `pull_request` object) has
 * `pull_request.{number, html_url, user.login, head.ref, base.ref}` and `repository.{name,
 * owner.login}`: the repository the pull request merges into, even when it comes from a fork.
 */
import { readFile } from 'node:fs/promises';
import { RegistryError } from '../errors/index.js';
import type { PullRequestRef } from './types.js';

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review']);

/**
 * The pull request of this GitHub Actions run, or undefined when GITHUB_EVENT_NAME is not a
 * pull request event (a push, a merge queue entry, a local run).
 *
 * @example
 * const pr = await readPullRequestEvent(process.env);
 * if (pr) console.log(`${pr.owner}/${pr.repo}#${pr.number}: ${pr.head} -> ${pr.base}`);
 */
export async function readPullRequestEvent(env: NodeJS.ProcessEnv): Promise<PullRequestRef | undefined> {
  const event = env.GITHUB_EVENT_NAME;
  if (!event || !PULL_REQUEST_EVENTS.has(event)) return undefined;
  const path = env.GITHUB_EVENT_PATH;
  if (!path) {
    throw new RegistryError('BAD_INPUT', `GITHUB_EVENT_NAME is ${event} but GITHUB_EVENT_PATH is not set, so modelreg cannot tell which pull request this is. Run inside GitHub Actions, or unset GITHUB_EVENT_NAME.`, { event });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new RegistryError('IO', `Cannot read the GitHub event payload at ${path} (GITHUB_EVENT_PATH): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, { path, event }, { cause: e });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    throw new RegistryError('BAD_INPUT', `The GitHub event payload at ${path} (GITHUB_EVENT_PATH) is not JSON.`, { path, event }, { cause: e });
  }
  return pullRequestFromPayload(payload, { path, event, repository: env.GITHUB_REPOSITORY });
}

/**
 * Pure: the PullRequestRef in a `pull_request`-shaped webhook payload. `repository` is the
 * GITHUB_REPOSITORY fallback (`owner/repo`) for a payload without a `repository` object.
 *
 * @example
 * pullRequestFromPayload({ number: 7, pull_request: { number: 7, head: { ref: 'promote' }, base: { ref: 'main' } },
 *   repository: { name: 'registry', owner: { login: 'acme' } } });
 * // { owner: 'acme', repo: 'registry', number: 7, base: 'main', head: 'promote' }
 */
export function pullRequestFromPayload(payload: unknown, where: { path?: string; event?: string; repository?: string } = {}): PullRequestRef {
  const p = asObject(payload);
  const pr = asObject(p.pull_request);
  const repository = asObject(p.repository ?? asObject(pr.base).repo);
  const [envOwner, envRepo] = (where.repository ?? '').split('/');
  const owner = str(asObject(repository.owner).login) ?? envOwner;
  const repo = str(repository.name) ?? envRepo;
  const number = typeof pr.number === 'number' ? pr.number : p.number;
  const head = str(asObject(pr.head).ref);
  const base = str(asObject(pr.base).ref);
  if (!owner || !repo || typeof number !== 'number' || !Number.isInteger(number) || !head || !base) {
    const missing = [!owner && 'repository.owner.login', !repo && 'repository.name', typeof number !== 'number' && 'pull_request.number', !head && 'pull_request.head.ref', !base && 'pull_request.base.ref'].filter(Boolean);
    throw new RegistryError('BAD_INPUT', `The GitHub event payload${where.path ? ` at ${where.path}` : ''} does not describe a pull request (missing ${missing.join(', ') || 'an integer pull_request.number'}). Run the check on pull_request events.`, { ...where, missing });
  }
  const url = str(pr.html_url);
  const author = str(asObject(pr.user).login);
  return { owner, repo, number, base, head, ...(url ? { url } : {}), ...(author ? { author } : {}) };
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
