/**
 * Commit messages: a subject a person reads, a body, and `Modelreg-*` trailers for machines.
 * Trailers annotate history; history itself is derived from file contents.
 */
export interface CommitMessage {
  subject: string;
  body?: string;
  trailers: Array<[string, string]>;
}

const TRAILER = /^([A-Za-z][A-Za-z0-9-]*): (.*)$/;

function clean(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

export function formatCommitMessage(msg: CommitMessage): string {
  const parts = [clean(msg.subject)];
  if (msg.body && msg.body.trim()) parts.push(msg.body.trim());
  if (msg.trailers.length) parts.push(msg.trailers.map(([k, v]) => `${k}: ${clean(v)}`).join('\n'));
  return parts.join('\n\n') + '\n';
}

export function parseCommitMessage(text: string): CommitMessage {
  const paragraphs = text.replace(/\r\n/g, '\n').replace(/^\n+|\n+$/g, '').split(/\n{2,}/);
  const subject = paragraphs.shift() ?? '';
  let trailers: Array<[string, string]> = [];
  const last = paragraphs[paragraphs.length - 1];
  if (last !== undefined) {
    const lines = last.split('\n');
    const parsed = lines.map((l) => TRAILER.exec(l));
    if (parsed.every((m) => m !== null)) {
      trailers = parsed.map((m) => [m![1], m![2]] as [string, string]);
      paragraphs.pop();
    }
  }
  const body = paragraphs.join('\n\n');
  return { subject, ...(body ? { body } : {}), trailers };
}

export function trailerValue(msg: CommitMessage, key: string): string | undefined {
  return msg.trailers.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
}
