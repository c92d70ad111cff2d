/** The UI's one escaping helper and its link rule, without a browser. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, isLinkable, jsonBlock, raw, uriLink } from '../../src/ui/html.js';

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes; nested html is kept', () => {
    const evil = `"><script>alert('x')</script><img src=x onerror=alert(1)>\``;
    const out = html`<p title="${evil}">${evil}${html`<b>${'&'}</b>`}${[evil, 1, null, undefined, false]}</p>`.text;
    expect(out).not.toMatch(/<script|<img|"\s*onerror|'x'/);
    expect(out).toContain('<b>&amp;</b>');
    expect(out).toBe(`<p title="${escapeHtml(evil)}">${escapeHtml(evil)}<b>&amp;</b>${escapeHtml(evil)}1</p>`);
    expect(raw('<svg/>').text).toBe('<svg/>');
  });

  it('an artifact URI is a link only for http, https, s3, gs and file', () => {
    for (const ok of ['https://x/y', 'http://x', 's3://b/k', 'gs://b/k', 'file:///tmp/m.pkl', 'S3://B/K']) expect(isLinkable(ok), ok).toBe(true);
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'java\nscript:alert(1)', 'data:text/html,<script>', 'vbscript:x', 'runs:/abc/model', 'models:/churn/1', '/relative', '//host/x', 'https://x/\nfoo']) {
      expect(isLinkable(bad), JSON.stringify(bad)).toBe(false);
      expect(uriLink(bad).text, bad).not.toContain('<a');
    }
    expect(uriLink('s3://b/k?a=1&b="2"').text).toBe('<a href="s3://b/k?a=1&amp;b=&quot;2&quot;" rel="noopener noreferrer nofollow">s3://b/k?a=1&amp;b=&quot;2&quot;</a>');
  });

  it('a JSON block cannot close its script element', () => {
    const out = jsonBlock('d', { s: '</script><script>alert(1)</script>', l: '\u2028' }).text;
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    expect(JSON.parse(out.replace(/^<script[^>]*>/, '').replace(/<\/script>$/, ''))).toEqual({ s: '</script><script>alert(1)</script>', l: '\u2028' });
  });
});
