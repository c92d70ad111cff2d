/**
 * The shapes the UI's actions share between the server, which runs them (server/actions.ts),
 * and the views that render them (ui/action-views.ts): the action names and an action's outcome.
 */
import type { ErrorCode } from '../errors/index.js';
import type { Decision } from '../policy/index.js';

export const ACTIONS = ['approve', 'promote', 'rollback', 'alias', 'tag', 'describe'] as const;
export type ActionName = (typeof ACTIONS)[number];

export const isAction = (s: string): s is ActionName => (ACTIONS as readonly string[]).includes(s);

/** One line of a file's change: kept (' '), removed ('-') or added ('+'). */
export interface DiffRow { op: ' ' | '-' | '+'; text: string }

export interface ActionOutcome {
  action: ActionName;
  /** What is asked, in words: `promote churn 1.2.0 to Production`. */
  title: string;
  /** The fields the confirm form carries back (normalised). */
  fields: Record<string, string>;
  /** preview: nothing written, confirm to commit; done: committed; denied: the policy said no; error: bad input or a conflict. */
  step: 'preview' | 'done' | 'denied' | 'error';
  /** On confirm: commit on the branch written (`commit`), or open a proposal branch (`branch`). */
  mode?: 'commit' | 'branch';
  /** The policy's checklist for the change, when a policy rule governs it. */
  decision?: Decision;
  /** Sentences to show beside the checklist (whether an approval counts, why a branch is needed). */
  notes: string[];
  /** The commit a preview would make: its subject, trailers and each file's changed lines. */
  planned?: { subject: string; trailers: Array<[string, string]>; files: Array<{ path: string; rows: DiffRow[] }> };
  /** The branch written or to be written (short name). */
  branch?: string;
  commit?: string;
  pushed?: boolean;
  pullRequest?: { url?: string; manual?: string };
  error?: { code: ErrorCode; message: string };
}
