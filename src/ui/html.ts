/**
 * The one way the UI writes HTML: `html` is a tagged template whose every interpolated value is
 * escaped unless it is already `Html` (the result of another `html` or of `raw`, which only
 * this module's callers use for markup they built themselves). Registry strings — descriptions,
 * tags, params, URIs — are free text from YAML anyone can put in a pull request; none reaches
 * the page any other way.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text as HTML text or a quoted attribute value (both quote kinds escaped). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESC[c]);
}

export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** A template whose values are escaped (arrays are joined, null/undefined/false render nothing). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup built by the UI itself (an SVG it generated, a constant). Never registry text. */
export function raw(text: string): Html {
  return new Html(text);
}

/** JSON for a `<script type="application/json">` block: `<`, `>`, `&` and line separators escaped, so it cannot close the element. */
export function jsonBlock(id: string, value: unknown): Html {
  const text = JSON.stringify(value ?? null).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return new Html(`<script type="application/json" id="${escapeHtml(id)}">${text}</script>`);
}

/** The schemes an artifact URI may be a link for; anything else (javascript:, data:, vbscript:) is text. */
const LINK_SCHEMES = new Set(['http:', 'https:', 's3:', 'gs:', 'file:']);

/** Whether `uri` is safe to put in an href: an absolute URI with one of the link schemes. */
export function isLinkable(uri: string): boolean {
  // Browsers drop tabs and newlines and trim control characters before reading a scheme: so do we.
  // eslint-disable-next-line no-control-regex
  const cleaned = uri.replace(/[\u0000-\u0020]/g, '');
  const m = /^([a-z][a-z0-9+.-]*:)/i.exec(cleaned);
  return !!m && LINK_SCHEMES.has(m[1].toLowerCase()) && cleaned === uri.trim();
}

/** An artifact URI: a link for http, https, s3, gs and file; plain text otherwise. */
export function uriLink(uri: string | undefined): Html {
  if (!uri) return html``;
  return isLinkable(uri) ? html`<a href="${uri}" rel="noopener noreferrer nofollow">${uri}</a>` : html`<code>${uri}</code>`;
}

/** A URL inside the UI: path plus query parameters (each encoded), keeping `at` when set. */
export function href(path: string, params: Record<string, string | number | undefined | readonly string[]> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
