/**
 * The action buttons of the Model and Version pages: links to the actions' forms (a GET shows a
 * form and writes nothing; the form POSTs to a preview). They depend only on the page and on
 * whether the server takes writes, so the pages stay cacheable by commit; who is signed in is
 * asked on the form. None when the server is read-only or the page shows the past (`?at=`).
 */
import { html, href, type Html } from './html.js';
import type { UiRequest } from './page.js';

type Link = [label: string, action: string, params: Record<string, string | undefined>];

function links(req: Pick<UiRequest, 'writable' | 'at'>, items: Link[]): Html {
  if (!req.writable || req.at) return html``;
  return html`<nav class="actions" aria-label="Actions"><ul class="inline">${items.map(([label, action, params]) => html`<li><a class="button" href="${href(`/actions/${action}`, params)}">${label}</a></li>`)}</ul></nav>`;
}

export function modelActions(req: Pick<UiRequest, 'writable' | 'at'>, model: string, holders: { stage: string; version: string }[] = []): Html {
  const rollbackStage = holders.find((h) => h.stage === 'Production')?.stage;
  return links(req, [
    ['Request a promotion…', 'promote', { model }],
    ['Roll back…', 'rollback', { model, stage: rollbackStage }],
    ['Set an alias…', 'alias', { model }],
    ['Tag…', 'tag', { model }],
    ['Describe…', 'describe', { model }],
  ]);
}

export function versionActions(req: Pick<UiRequest, 'writable' | 'at'>, model: string, version: string): Html {
  return links(req, [
    ['Request a promotion…', 'promote', { model, version }],
    ['Approve…', 'approve', { model, version }],
    ['Set an alias…', 'alias', { model, version }],
    ['Tag…', 'tag', { model, version }],
    ['Describe…', 'describe', { model, version }],
  ]);
}
