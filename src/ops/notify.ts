/**
 * `notify`: delivers the event feed (ops/events.ts) to the webhooks of modelreg.yaml — each event
 * not yet delivered, in feed order (so in order per model), signed the Standard Webhooks way,
 * retried with backoff on connection errors, 408, 429 and 5xx. A webhook's cursor
 * (storage/notify-cursor.ts) moves after each delivery, so a rerun sends nothing twice and a run
 * that was stopped resumes at the event it was sending (at least once: a receiver dedupes by
 * `webhook-id`). An event that cannot be delivered stops that webhook's run (order is kept).
 */
import { formatEvent, typeMatcher } from '../domain/cloudevents.js';
import { CONFIG_FILE, type RegistryConfig } from '../domain/state.js';
import {
  retryableStatus, retryAfterMs, retryDelay, signatureHeaders, webhookFormat, webhookTakes,
  type RetryPolicy, type WebhookConfig,
} from '../domain/webhooks.js';
import { isRegistryError, RegistryError } from '../errors/index.js';
import { NotifyCursor, type CursorEntry } from '../storage/notify-cursor.js';
import { pushBranch, remoteToken } from '../storage/remote.js';
import { resolveCommitish } from '../storage/history.js';
import { postWebhook } from '../storage/webhook-http.js';
import type { Context } from './context.js';
import { events, type FeedItem } from './events.js';

export interface NotifyInput {
  /** Deliver the events after this ref, whatever the cursors say. */
  since?: string;
  /** Only this webhook. */
  webhook?: string;
  /** Say what would be sent; send nothing, move no cursor. */
  dryRun?: boolean;
  /** Push each cursor ref to the remote afterwards. */
  push?: boolean;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
}

export interface Delivery {
  webhook: string;
  id: string;
  type: string;
  status?: number;
  attempts: number;
  ok: boolean;
  error?: string;
}

export interface NotifyResult {
  webhooks: Array<{ name: string; sent: number; failed?: string; cursor?: string }>;
  deliveries: Delivery[];
  dryRun: boolean;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseMs: 1000, maxDelayMs: 60_000 };

/** The webhooks of modelreg.yaml as committed at the tip of the registry branch. */
export async function loadWebhooks(ctx: Context): Promise<WebhookConfig[]> {
  const snap = await ctx.snapshotAt();
  if (!snap.tree) return [];
  const store = ctx.store();
  const entry = await store.entryAt(snap.tree, CONFIG_FILE);
  if (entry?.type !== 'blob') return [];
  const { validateText } = await import('../domain/validate.js');
  const v = validateText<RegistryConfig>('config', await store.readText(entry.oid), CONFIG_FILE);
  const bad = v.issues.find((i) => i.severity === 'error');
  if (bad || !v.value) {
    throw new RegistryError('INVALID_FILE', `${CONFIG_FILE}:${bad?.line ?? 1}: ${bad?.message ?? 'does not validate'}${bad?.field ? ` (${bad.field})` : ''}. Fix the file; \`modelreg check\` lists every problem.`, { file: CONFIG_FILE, line: bad?.line, field: bad?.field });
  }
  const hooks = v.value.webhooks ?? [];
  const seen = new Set<string>();
  for (const h of hooks) {
    if (seen.has(h.name)) throw new RegistryError('INVALID_FILE', `${CONFIG_FILE}: two webhooks are named "${h.name}" (webhooks.name); each needs its own name, since it names the delivery cursor.`, { file: CONFIG_FILE, field: 'webhooks.name', value: h.name });
    seen.add(h.name);
    const unknown = typeMatcher(h.events ?? []).unknown;
    if (unknown.length) throw new RegistryError('INVALID_FILE', `${CONFIG_FILE}: webhook "${h.name}" lists events ${unknown.join(', ')}, which match no event type (webhooks.events); docs/events.md lists the types.`, { file: CONFIG_FILE, field: 'webhooks.events', value: unknown });
  }
  return hooks;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The feed after the cursor: from the cursor's commit (its events after the one handled), else from `since`, else all. */
async function* pending(ctx: Context, cursor: CursorEntry | undefined, since: string | undefined): AsyncGenerator<FeedItem> {
  if (since !== undefined || !cursor) {
    yield* events(ctx, { since });
    return;
  }
  const [commit, n] = cursor.through.split(':');
  const parent = (await ctx.store().readCommit(commit)).parents[0];
  // The cursor's own commit again (its events after the one handled), then everything after it.
  for await (const item of events(ctx, { since: parent })) {
    const [c, i] = item.event.id.split(':');
    if (c === commit && Number(i) <= Number(n)) continue;
    yield item;
  }
}

async function deliverOne(ctx: Context, hook: WebhookConfig, item: FeedItem, retry: RetryPolicy, timeoutMs: number): Promise<Delivery> {
  const format = webhookFormat(hook);
  const payload = formatEvent(item.event, format, hook.name)!;
  const body = JSON.stringify(payload);
  const secret = hook.secretEnv ? ctx.env[hook.secretEnv] : undefined;
  if (hook.secretEnv && !secret) {
    throw new RegistryError('BAD_INPUT', `Webhook "${hook.name}" is signed with the secret in $${hook.secretEnv}, which is not set. Set it (a CI secret) or remove secretEnv from the webhook in ${CONFIG_FILE}.`, { webhook: hook.name, env: hook.secretEnv });
  }
  let last: Delivery = { webhook: hook.name, id: item.event.id, type: item.event.type, attempts: 0, ok: false };
  for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
    const ts = Math.floor(ctx.now().getTime() / 1000);
    const headers = signatureHeaders(secret, item.event.id, ts, body, format);
    let wait: number | undefined;
    try {
      const r = await postWebhook(hook.url, headers, body, { allowPrivate: hook.allowPrivateNetwork === true, timeoutMs });
      last = { ...last, status: r.status, attempts: attempt, ok: r.status >= 200 && r.status < 300, error: undefined };
      if (last.ok) return last;
      if (!retryableStatus(r.status)) return { ...last, error: `the receiver answered ${r.status}` };
      wait = retryAfterMs(r.retryAfter, ctx.now());
      last.error = `the receiver answered ${r.status}`;
    } catch (e) {
      if (isRegistryError(e)) return { ...last, attempts: attempt, error: e.message };
      last = { ...last, attempts: attempt, error: `${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message}` };
    }
    if (attempt === retry.maxAttempts) break;
    if (wait !== undefined && wait > retry.maxDelayMs) return { ...last, error: `${last.error}; Retry-After asks for ${Math.round(wait / 1000)} s, more than the ${Math.round(retry.maxDelayMs / 1000)} s a run waits` };
    await sleep(retryDelay(retry, attempt, ctx.random(), wait));
  }
  return last;
}

/**
 * Delivers every event not yet delivered to each webhook.
 * @example const r = await notify(ctx, { dryRun: true }); r.deliveries.map((d) => d.id)
 */
export async function notify(ctx: Context, input: NotifyInput = {}): Promise<NotifyResult> {
  const retry = { ...DEFAULT_RETRY, ...input.retry };
  const hooks = (await loadWebhooks(ctx)).filter((h) => input.webhook === undefined || h.name === input.webhook);
  if (input.webhook !== undefined && !hooks.length) throw new RegistryError('NOT_FOUND', `${CONFIG_FILE} has no webhook named "${input.webhook}". \`modelreg notify --dry-run\` lists the webhooks.`, { webhook: input.webhook });
  if (input.since !== undefined) await resolveCommitish(ctx.store(), input.since);
  const result: NotifyResult = { webhooks: [], deliveries: [], dryRun: !!input.dryRun };
  for (const hook of hooks) {
    const cursor = new NotifyCursor(ctx.repo.gitdir, ctx.store(), hook.name);
    const start = await cursor.read();
    const summary: NotifyResult['webhooks'][number] = { name: hook.name, sent: 0 };
    let handled: string | undefined;
    for await (const item of pending(ctx, start, input.since)) {
      const takes = webhookTakes(hook, item.event) && formatEvent(item.event, webhookFormat(hook)) !== undefined;
      if (!takes) { handled = item.event.id; continue; }
      if (input.dryRun) {
        result.deliveries.push({ webhook: hook.name, id: item.event.id, type: item.event.type, attempts: 0, ok: true });
        continue;
      }
      const d = await deliverOne(ctx, hook, item, retry, input.timeoutMs ?? 10_000);
      result.deliveries.push(d);
      if (!d.ok) { summary.failed = `${d.id}: ${d.error}`; break; }
      await cursor.advance({ through: item.event.id, sent: item.event.id, status: d.status, attempts: d.attempts }, ctx.now());
      handled = undefined;
      summary.sent++;
    }
    // Events this webhook does not take after the last one sent: the cursor moves past them too.
    if (handled && !summary.failed && !input.dryRun) await cursor.advance({ through: handled }, ctx.now());
    summary.cursor = (await cursor.read())?.through;
    if (input.push && !input.dryRun && summary.cursor) {
      const cfg = await (await ctx.snapshotAt()).config();
      await pushBranch(ctx.repo, cursor.ref, cursor.ref, { remote: cfg.remote, token: remoteToken(ctx.env), onProgress: ctx.options.onProgress });
    }
    result.webhooks.push(summary);
  }
  return result;
}

/** The delivery log of each webhook (its cursor's chain), newest first. */
export async function notifyLog(ctx: Context, input: { webhook?: string; limit?: number } = {}): Promise<Array<{ webhook: string; entries: CursorEntry[] }>> {
  const hooks = (await loadWebhooks(ctx)).filter((h) => input.webhook === undefined || h.name === input.webhook);
  const out = [];
  for (const h of hooks) out.push({ webhook: h.name, entries: await new NotifyCursor(ctx.repo.gitdir, ctx.store(), h.name).log(input.limit) });
  return out;
}
