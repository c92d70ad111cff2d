/**
 * A real Git smart-HTTP server for tests: Node's `http` module in front of `git http-backend`
 * (CGI), so clients talk to the same receive-pack and upload-pack that GitHub-like servers
 * run, including the server-side ref locking that rejects racing pushes.
 *
 * @example
 * const server = await startGitServer({ token: 'sekrit' });
 * const url = await server.createBare('registry');
 * // ... clone / push against `url` ...
 * await server.stop();
 */
import { spawn, execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface GitServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** The folder holding the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** Creates `<root>/<name>.git` with receive-pack enabled; resolves to its clone URL. */
  createBare(name: string, opts?: { initialBranch?: string }): Promise<string>;
  stop(): Promise<void>;
  /** How many HTTP requests the server has answered so far. */
  readonly requests: number;
}

export interface GitServerOptions {
  /** Serve repositories from this folder (kept on stop); a temp folder otherwise (removed on stop). */
  root?: string;
  /** When set, every request must carry `Authorization: Basic` with this password (any username). */
  token?: string;
}

/** Git's environment for the server side: no system or user config leaks into the tests. */
function gitEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: tmpdir() };
}

/** The Basic-auth user when the request carries the expected token; undefined otherwise. */
function authenticate(req: IncomingMessage, token: string): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const given = Buffer.from(decoded.slice(colon + 1));
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
  return decoded.slice(0, colon) || 'token';
}

function cgiEnv(req: IncomingMessage, root: string, user: string | undefined): NodeJS.ProcessEnv {
  const u = new URL(req.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    ...gitEnv(),
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(u.pathname),
    QUERY_STRING: u.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  // http-backend inflates the body itself when told the client gzipped it.
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  if (user) {
    env.REMOTE_USER = user;
    env.AUTH_TYPE = 'Basic';
  }
  return env;
}

/** Index of the blank line ending the CGI headers, and the length of that separator. */
function headerEnd(buf: Buffer): { at: number; sep: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, sep: 4 };
  if (lf >= 0) return { at: lf, sep: 2 };
  return undefined;
}

function writeCgiHead(res: ServerResponse, head: string): void {
  let status = 200;
  let reason: string | undefined;
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const m = /^(\d{3})\s*(.*)$/.exec(value);
      if (m) {
        status = Number(m[1]);
        reason = m[2] || undefined;
      }
    } else {
      res.appendHeader(name, value);
    }
  }
  if (reason) res.writeHead(status, reason);
  else res.writeHead(status);
}

function runBackend(req: IncomingMessage, res: ServerResponse, root: string, user: string | undefined): void {
  const child = spawn('git', ['http-backend'], { env: cgiEnv(req, root, user), stdio: ['pipe', 'pipe', 'pipe'] });
  let pending: Buffer = Buffer.alloc(0);
  let headersDone = false;
  const stderr: Buffer[] = [];
  const fail = (status: number, text: string) => {
    if (!res.headersSent) {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(text);
    } else {
      res.destroy();
    }
  };
  child.on('error', (e) => fail(500, `git http-backend failed to start: ${e.message}\n`));
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      if (!res.write(chunk)) {
        child.stdout.pause();
        res.once('drain', () => child.stdout.resume());
      }
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const end = headerEnd(pending);
    if (!end) return;
    headersDone = true;
    writeCgiHead(res, pending.subarray(0, end.at).toString('latin1'));
    const rest = pending.subarray(end.at + end.sep);
    pending = Buffer.alloc(0);
    if (rest.length) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersDone) fail(500, `git http-backend exited with ${code} before sending headers: ${Buffer.concat(stderr).toString()}\n`);
    else res.end();
  });
  // Stream the body to the CGI's stdin; a client that goes away takes the CGI with it.
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  res.on('close', () => {
    if (child.exitCode === null && !res.writableFinished) child.kill('SIGKILL');
  });
}

/**
 * Starts the server on 127.0.0.1 on a free port.
 * @example const server = await startGitServer(); const url = await server.createBare('r');
 */
export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const ownsRoot = opts.root === undefined;
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'modelreg-git-server-')));
  await mkdir(root, { recursive: true });
  let requests = 0;

  const server = createServer((req, res) => {
    requests++;
    let user: string | undefined;
    if (opts.token !== undefined) {
      user = authenticate(req, opts.token);
      if (!user) {
        req.resume();
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="modelreg-test"', 'Content-Type': 'text/plain' });
        res.end('Authentication required.\n');
        return;
      }
    }
    runBackend(req, res, root, user);
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    root,
    get requests() {
      return requests;
    },
    async createBare(name, o = {}) {
      const folder = name.endsWith('.git') ? name : `${name}.git`;
      const dir = join(root, folder);
      const env = gitEnv();
      await execFileP('git', ['init', '--quiet', '--bare', `--initial-branch=${o.initialBranch ?? 'main'}`, dir], { env });
      await execFileP('git', ['--git-dir', dir, 'config', 'http.receivepack', 'true'], { env });
      // Check every pushed object, so a malformed pack from a client fails the push loudly.
      await execFileP('git', ['--git-dir', dir, 'config', 'receive.fsckObjects', 'true'], { env });
      // No background gc racing the next test's pushes.
      await execFileP('git', ['--git-dir', dir, 'config', 'receive.autogc', 'false'], { env });
      return `${url}/${folder}`;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownsRoot) await rm(root, { recursive: true, force: true });
    },
  };
}
