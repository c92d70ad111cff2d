/**
 * The UI's page registry: each page is a path, a title, an optional nav entry and a render
 * function from a request to HTML. The server (server/ui.ts) looks pages up here; a new page —
 * Promotions, the actions' forms — is one `definePage` call, and a page defined again under the
 * same path replaces the earlier one.
 */
import type { Context } from '../ops/context.js';
import type { ServedState } from '../ops/served.js';
import type { Html } from './html.js';

export interface UiRequest {
  /** The page path, e.g. `/model`. */
  path: string;
  query: URLSearchParams;
  /** `?at=` as the user gave it (a ref or a date), or undefined for the served commit. */
  at?: string;
  /** The commit the page answers from: the served one, or the one `at` resolved to. */
  commit?: string;
  /** A context for reads (ops/ functions take it); writes are not made from a GET. */
  ctx: Context;
  /** The served state (the branch tip in memory). */
  state: ServedState;
  /** The served branch's full ref, e.g. refs/heads/main. */
  ref: string;
  /** Whether the server takes writes from the UI (--tokens or --local-identity, not --read-only): pages show action buttons. */
  writable?: boolean;
  /** A value computed once per commit (the model list a page filters, say) and shared by the requests at that commit. */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /**
   * Resolves when the server's first walk of the history has filled the event index; a page
   * that reads history awaits it, so two requests never derive the same commits' events at once.
   */
  historyReady(): Promise<void>;
}

export interface PageResult {
  title: string;
  body: Html;
  /** 200 unless a page says otherwise (404 for a model that does not exist at that commit). */
  status?: number;
}

export interface Page {
  path: string;
  title: string;
  /** A nav entry; pages are listed in `order`. */
  nav?: { label: string; order: number };
  render(req: UiRequest): Promise<PageResult>;
}

const pages = new Map<string, Page>();

/** Adds a page (or replaces the page at its path). */
export function definePage(page: Page): Page {
  pages.set(page.path, page);
  return page;
}

export function pageAt(path: string): Page | undefined {
  return pages.get(path);
}

/** Nav entries, in order. */
export function navEntries(): Array<{ path: string; label: string }> {
  return [...pages.values()].filter((p) => p.nav).sort((a, b) => a.nav!.order - b.nav!.order).map((p) => ({ path: p.path, label: p.nav!.label }));
}
