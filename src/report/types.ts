/** What a renderer of a check result returns, and its signature. */
import type { CheckResult } from '../domain/check-result.js';

export interface Rendered {
  stdout: string;
  /** Text to append to files the environment names (e.g. GITHUB_STEP_SUMMARY). */
  appends?: Array<{ path: string; text: string }>;
  /** Files to write whole (e.g. GitLab's report artifacts), relative to the report directory. */
  files?: Array<{ path: string; text: string }>;
}

export type Renderer = (result: CheckResult, env: Record<string, string | undefined>) => Rendered;
