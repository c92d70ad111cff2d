/** The frame every page shares: head (one script, one stylesheet, both served by modelreg), nav, the `?at=` box. */
import { html, href, type Html } from './html.js';
import { navEntries } from './page.js';

export interface LayoutInput {
  title: string;
  body: Html;
  path: string;
  /** The request's query: the `?at=` form keeps its other fields. */
  query: URLSearchParams;
  at?: string;
  commit?: string;
  /** Version of the static assets (their content hash), so a new build is fetched. */
  assets: string;
}

/** The nav link for `path`, keeping `?at=`. */
export function link(path: string, at: string | undefined, params: Record<string, string | number | undefined | readonly string[]> = {}): string {
  return href(path, { ...params, at });
}

export function layout(p: LayoutInput): Html {
  const nav = navEntries().map((n) => html`<li><a href="${link(n.path, p.at)}"${n.path === p.path ? html` aria-current="page"` : ''}>${n.label}</a></li>`);
  const others = [...p.query.entries()].filter(([k]) => k !== 'at');
  const grouped: Record<string, string[]> = {};
  for (const [k, v] of others) (grouped[k] ??= []).push(v);
  const keep = others.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · modelreg</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css?v=${p.assets}">
<script src="/ui/assets/app.js?v=${p.assets}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="${link('/', p.at)}">modelreg</a>
<nav aria-label="Main"><ul>${nav}</ul></nav>
<form class="at" method="get" action="${p.path}" role="search" aria-label="Registry as of">
<label for="at-input">As of</label>
<input id="at-input" name="at" value="${p.at ?? ''}" placeholder="ref or date (2024-03-01)" size="22">
${keep}
<button type="submit">Go</button>
${p.at ? html`<a href="${href(p.path, grouped)}">now</a>` : ''}
</form>
</header>
${p.at ? html`<p class="asof" role="status">The registry as it was at <code>${p.at}</code>${p.commit ? html` (commit <code>${p.commit.slice(0, 12)}</code>)` : ''}.</p>` : ''}
<main id="main">
<h1>${p.title}</h1>
${p.body}
</main>
<footer>${p.commit ? html`Commit <code>${p.commit}</code>` : 'No commits yet'}</footer>
</body>
</html>
`;
}
