/**
 * The context every operation runs in: the repository, the clock, the environment and the
 * actor. Side effects come in through here; there are no module-level globals.
 */
import { RegistryError } from '../errors/index.js';
import { ObjectStore } from '../storage/objects.js';
import { ObjectDatabase } from '../storage/odb.js';
import { Snapshot } from '../storage/snapshot.js';
import { ParsedCache } from '../storage/cache.js';
import { ModelCache } from '../storage/model-cache.js';
import { findRepo, resolveIdentity, type Identity, type RepoPaths } from '../storage/repo.js';
import { currentBranch, fullBranchRef, readRef } from '../storage/refs.js';
import { commitAtDate, parseDateArg, resolveCommitish } from '../storage/history.js';
import { CONFIG_FILE, resolveConfig, type RegistryConfig } from '../domain/state.js';

export interface RegistryOptions {
  /** A folder inside the registry repository (default: the current directory). */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** The clock: commit times, approval times, `now` in policy guards, derived branch names (tests pass a fixed one). */
  now?: () => Date;
  /** Random numbers in [0, 1), as `Math.random`: the jitter of push retries (tests pass a fixed one). */
  random?: () => number;
  /** Who acts; default: who Git says (GIT_AUTHOR_*, repository config, global config). */
  identity?: Identity;
  lockTimeoutMs?: number;
  /** Progress messages for long operations (push retries, fetches). */
  onProgress?: (message: string) => void;
  /** The Git remote fetched, pushed and opened pull requests on (default `origin`). */
  remote?: string;
  /** Bytes each Git object cache of this context holds at most (default 16 MB; storage/odb.ts). */
  objectCacheBytes?: number;
}

export class Context {
  readonly parsed = new ParsedCache();
  private id?: Identity;
  constructor(readonly repo: RepoPaths, readonly options: RegistryOptions) {}

  static async open(options: RegistryOptions = {}): Promise<Context> {
    return new Context(await findRepo(options.dir ?? process.cwd()), options);
  }

  get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  random(): number {
    return this.options.random?.() ?? Math.random();
  }

  private odb?: ObjectDatabase;
  /** An object store for one operation; all share the context's object database (pack indexes, commits, trees). */
  store(): ObjectStore {
    this.odb ??= new ObjectDatabase(this.repo.gitdir, process.env, this.options.objectCacheBytes);
    return new ObjectStore(this.repo.gitdir, this.odb, this.env);
  }

  private summaries?: Promise<import('../storage/summary-cache.js').SummaryCache>;
  /** The persistent cache of model summaries (.git/modelreg/cache), loaded once per context. */
  summaryCache() {
    this.summaries ??= import('../storage/summary-cache.js').then((m) => m.SummaryCache.load(this.repo.gitdir));
    return this.summaries;
  }

  async identity(): Promise<Identity> {
    if (!this.id) this.id = this.options.identity ?? (await resolveIdentity(this.repo.gitdir, this.env));
    return this.id;
  }

  /**
   * The branch the registry is written on: `branch:` in modelreg.yaml as committed at HEAD, else
   * the checked-out branch. Read at the commit, never from the working tree, so an uncommitted
   * edit of modelreg.yaml does not decide where a write goes.
   */
  async targetRef(): Promise<string> {
    return (await this.target()).ref;
  }

  /** The target branch and its tip; HEAD's commit is read once for both (every read asks). */
  private async target(): Promise<{ ref: string; tip: string | undefined }> {
    const head = await currentBranch(this.repo.gitdir);
    const headCommit = await readRef(this.repo.gitdir, head ?? 'HEAD');
    const configured = headCommit ? await this.configuredBranch(headCommit) : undefined;
    if (configured) {
      const ref = fullBranchRef(configured);
      return { ref, tip: ref === head ? headCommit : await readRef(this.repo.gitdir, ref) };
    }
    if (!head) throw new RegistryError('BAD_INPUT', 'HEAD is detached, so modelreg does not know which branch to write. Check out the registry branch (git switch main) or set `branch:` in modelreg.yaml.', {});
    return { ref: head, tip: headCommit };
  }

  /** The last answer of configuredBranch, by commit id (which names content: never stale). */
  private branchAt?: { commit: string; branch: string | undefined };

  /** `branch:` of modelreg.yaml in `commit`; every read asks, so the answer for the last commit is kept. */
  private async configuredBranch(commit: string): Promise<string | undefined> {
    if (this.branchAt?.commit === commit) return this.branchAt.branch;
    const store = this.store();
    const entry = await store.entryAt((await store.readCommit(commit)).tree, CONFIG_FILE);
    let branch: string | undefined;
    if (entry?.type === 'blob') {
      const text = await store.readText(entry.oid);
      // Most configurations name no branch: they need no YAML parser or validator.
      if (/^branch\s*:/m.test(text)) {
        const { validateText } = await import('../domain/validate.js');
        branch = resolveConfig(validateText<RegistryConfig>('config', text, CONFIG_FILE).value).branch;
      }
    }
    this.branchAt = { commit, branch };
    return branch;
  }

  private models?: ModelCache;
  snapshot(store: ObjectStore, commit: string | undefined, tree: string | undefined, worktree?: string): Snapshot {
    this.models ??= new ModelCache(this.repo.gitdir);
    return new Snapshot(store, commit, tree, this.parsed, this.models, worktree);
  }

  /** The registry at a ref or date (`--at`), or at the tip of the registry branch. */
  async snapshotAt(at?: string, store = this.store()): Promise<Snapshot> {
    let commit: string | undefined;
    if (at === undefined) {
      commit = (await this.target()).tip;
    } else {
      const date = parseDateArg(at);
      if (date) {
        const { tip } = await this.target();
        commit = await commitAtDate(store, tip, date);
        if (!commit) throw new RegistryError('NOT_FOUND', `The registry has no commit at or before ${date.toISOString()}.`, { at });
      } else commit = await resolveCommitish(store, at);
    }
    const tree = commit ? (await store.readCommit(commit)).tree : undefined;
    // The tip of the registry branch is usually what is checked out: whole-registry reads may
    // take files from the checkout (each verified against its blob id).
    return this.snapshot(store, commit, tree, at === undefined ? this.repo.dir : undefined);
  }
}
