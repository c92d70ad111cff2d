import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { globals, json, out, context } from '../io.js';

function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m || Number(m[1]) <= 0) throw new InvalidArgumentError(`expected a duration such as 5s, 500ms or 1m, got '${value}'`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got '${value}'`);
  return Number(value);
}

export function serveCommands(program: Command): void {
  program.command('serve')
    .description('serve the registry over HTTP, speaking MLflow\'s Model Registry REST API (docs/serve.md)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', port, 5000)
    .option('--branch <name>', 'the branch served and written (default: modelreg.yaml branch, else the checked-out one)')
    .option('--remote <name>', 'fetch this remote (any name, e.g. origin) every --refresh and fast-forward; writes push with retry')
    .option('--refresh <duration>', 'with --remote: how often to fetch', duration, 5000)
    .option('--tokens <file>', 'YAML file of bearer tokens that may write: tokens: [{token, name, email, groups}]')
    .option('--local-identity', 'take writes as your own Git identity (loopback addresses only)')
    .option('--read-only', 'refuse every write with PERMISSION_DENIED')
    .option('--propose', 'a transition that lacks only approvals opens a branch (with --remote, pushed, and a pull request with a forge token) and answers PENDING_REGISTRATION')
    .option('--notify', 'deliver the webhooks of modelreg.yaml as commits arrive (the cursor refs modelreg notify uses; run it on one replica)')
    .option('--serve-artifacts', 'serve file:// artifacts (each checked against its recorded digest) under /api/2.0/mlflow-artifacts/artifacts/')
    .action(async (o, cmd: Command) => {
      const [{ startServer }, { keepHeapSmall }] = await Promise.all([import('../../server/http.js'), import('../../server/heap.js')]);
      // Before the state is loaded: a first start parses every version file (server/heap.ts).
      const heap = keepHeapSmall();
      const s = await startServer({
        dir: globals(cmd).registry, host: o.host, port: o.port, branch: o.branch, remote: o.remote, refreshMs: o.refresh,
        tokensFile: o.tokens, localIdentity: !!o.localIdentity, readOnly: !!o.readOnly, serveArtifacts: !!o.serveArtifacts, propose: !!o.propose, notify: !!o.notify,
        onLog: (line) => process.stderr.write(`${line}\n`),
        onProgress: (m) => process.stderr.write(`modelreg serve: ${m}\n`),
      }).catch((e: unknown) => { heap.restore(); throw e; });
      void s.warmed.then(() => heap.serving());
      const mode = o.readOnly ? 'read-only' : o.tokens ? 'writes with tokens' : o.localIdentity ? 'writes as the local Git identity' : 'read-only: no --tokens';
      process.stderr.write(`modelreg serve: listening on ${s.url} (registry ${s.dir ?? '(bare)'}, ${s.ref.replace(/^refs\/heads\//, '')} at ${s.commit()?.slice(0, 12) ?? 'no commits'}; ${mode})\n`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) return;
          stopping = true;
          process.stderr.write(`modelreg serve: ${sig}: finishing requests in flight and stopping\n`);
          void s.close().finally(() => heap.restore()).then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });

  program.command('renumber')
    .description('give every version without an integer number one, in registration order, as one commit (for MLflow clients)')
    .option('--push', 'push after committing; a rejected push is retried on the new remote tip')
    .option('--branch [name]', 'commit on a new branch (for a pull request) instead of the registry branch')
    .action(async (o, cmd: Command) => {
      const ctx = await context(cmd);
      const { renumber } = await import('../../ops/renumber.js');
      const r = await renumber(ctx, { push: o.push, branch: o.branch });
      if (globals(cmd).json) return json(r);
      out(r.versions ? `numbered ${r.versions} version${r.versions === 1 ? '' : 's'}${r.commit ? ` in ${r.commit.slice(0, 12)}` : ''}` : 'every version has a number already');
    });
}
