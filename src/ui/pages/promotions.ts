/**
 * Promotions: a place held for the pending-promotions page (the actions work defines it again
 * at this path with `definePage`, which replaces this one).
 */
import { html } from '../html.js';
import { definePage } from '../page.js';

definePage({
  path: '/promotions',
  title: 'Promotions',
  nav: { label: 'Promotions', order: 20 },
  async render() {
    return { title: 'Promotions', body: html`<p>Pending promotions are not shown by this version of the UI yet. List them with <code>modelreg check --base main --head modelreg/…</code> or in your forge's pull requests.</p>` };
  },
});
