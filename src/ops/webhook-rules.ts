/**
 * The `check --base` rules over the `webhooks:` of modelreg.yaml: a pull request that adds or
 * changes a webhook is flagged for review (a webhook decides where the registry's events, and
 * with them model names and artifact locations, are sent), and one that lets a webhook reach
 * private addresses gets its own rule, so it cannot point a webhook at internal services unnoticed.
 */
import { issue, type Issue } from '../domain/issues.js';
import { CONFIG_FILE, type RegistryConfig } from '../domain/state.js';
import type { WebhookConfig } from '../domain/webhooks.js';
import type { Snapshot } from '../storage/snapshot.js';

async function webhooksAt(s: Snapshot): Promise<WebhookConfig[]> {
  const text = await s.text(CONFIG_FILE).catch(() => undefined);
  if (text === undefined) return [];
  const { validateText } = await import('../domain/validate.js');
  // A modelreg.yaml that does not validate is reported by the file check.
  return validateText<RegistryConfig>('config', text, CONFIG_FILE).value?.webhooks ?? [];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `webhook-change` (warning) for each added or changed webhook; `webhook-private-network` (warning) when one newly may reach private addresses. */
export async function webhookRules(base: Snapshot, head: Snapshot): Promise<Issue[]> {
  const before = new Map((await webhooksAt(base)).map((h) => [h.name, h]));
  const out: Issue[] = [];
  (await webhooksAt(head)).forEach((h, i) => {
    const old = before.get(h.name);
    if (old && same(old, h)) return;
    const changed = old ? (Object.keys({ ...old, ...h }) as Array<keyof WebhookConfig>).filter((k) => !same(old[k], h[k])) : [];
    out.push(issue(CONFIG_FILE, 'webhook-change', old
      ? `webhook ${h.name} changes ${changed.join(', ')}; the webhooks decide where registry events are sent, so a change needs review by the registry's maintainers`
      : `webhook ${h.name} is added (${h.url}); the webhooks decide where registry events are sent, so a new one needs review by the registry's maintainers`,
    { severity: 'warning', field: `webhooks.${i}.${old ? changed[0] : 'name'}` }));
    if (h.allowPrivateNetwork && !old?.allowPrivateNetwork) {
      out.push(issue(CONFIG_FILE, 'webhook-private-network', `webhook ${h.name} may now reach private and loopback addresses (allowPrivateNetwork: true); make sure ${h.url} is meant to receive the registry's events`, { severity: 'warning', field: `webhooks.${i}.allowPrivateNetwork` }));
    }
  });
  return out;
}
