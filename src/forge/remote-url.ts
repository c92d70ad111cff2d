/**
 * The host and path of a Git remote url (https, ssh, git and scp-like forms), shared by the
 * GitHub and GitLab remote parsers. Pure.
 */

/**
 * Host and path segments of a remote url, or undefined for a local path or an unknown scheme.
 * For http(s) the host keeps its port (the web server's); for ssh it does not.
 *
 * @example
 * remoteParts('git@gitlab.com:group/sub/registry.git'); // { host: 'gitlab.com', segments: ['group', 'sub', 'registry'] }
 * remoteParts('/srv/git/registry.git');                 // undefined
 */
export function remoteParts(url: string): { host: string; segments: string[] } | undefined {
  const raw = url.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(raw);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return undefined;
    }
    if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(u.protocol) || !u.hostname) return undefined;
    host = u.protocol.startsWith('http') ? u.host : u.hostname; // an ssh port is not the web server's
    path = safeDecode(u.pathname);
  } else if (scp && !/^[a-z]$/i.test(scp[1])) {
    // scp-like `git@host:owner/repo.git`; a one-letter "host" is a Windows drive (C:\…).
    host = scp[1];
    path = scp[2];
  } else {
    return undefined;
  }
  const segments = path.replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter(Boolean);
  const valid = /^[A-Za-z0-9_.-]+$/;
  if (!segments.length || segments.some((s) => !valid.test(s) || s === '.' || s === '..')) return undefined;
  return { host, segments };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
