/** Property tests of commit messages (src/domain/trailers.ts): parse(format(m)) equals m. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommitMessage, parseCommitMessage, type CommitMessage } from '../../src/domain/trailers.js';
import { chars } from './arbitraries.js';

const PRINTABLE = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_/@#()[]{}<>!?*+=\'"`~^|\\$%&', 'é', 'ü', 'ß', '→', '✓', '中', '\t'];

/** One line of text without newlines, trimmed and not empty (format trims subjects and values). */
const line = chars(PRINTABLE, 1, 60).map((s) => s.trim()).filter((s) => s.length > 0);
const trailerKey = fc.tuple(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'), chars([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-'], 0, 20)).map(([h, t]) => h + t);
/** A trailer-like line, as a person might write in a body ("Note: see the report"). */
const trailerLikeLine = fc.tuple(trailerKey, line).map(([k, v]) => `${k}: ${v}`);
const paragraph = fc.array(fc.oneof({ weight: 3, arbitrary: line }, { weight: 1, arbitrary: trailerLikeLine }), { minLength: 1, maxLength: 4 }).map((ls) => ls.join('\n'));
const body = fc.array(paragraph, { minLength: 1, maxLength: 3 }).map((ps) => ps.join('\n\n'));
const trailers = fc.array(fc.tuple(trailerKey, line), { maxLength: 6 });

const message = (withTrailers: fc.Arbitrary<Array<[string, string]>>): fc.Arbitrary<CommitMessage> =>
  fc.record({ subject: line, body: fc.option(body, { nil: undefined }), trailers: withTrailers }).map((m) => (m.body === undefined ? { subject: m.subject, trailers: m.trailers } : m));

describe('commit messages', () => {
  it('parseCommitMessage(formatCommitMessage(m)) equals m when the message has trailers (every message modelreg writes)', () => {
    fc.assert(fc.property(message(fc.array(fc.tuple(trailerKey, line), { minLength: 1, maxLength: 6 })), (m) => {
      expect(parseCommitMessage(formatCommitMessage(m))).toEqual(m);
    }), { numRuns: 2000 });
  });

  // As in Git (git interpret-trailers), a message without trailers whose last body paragraph
  // consists of `Key: value` lines reads as having trailers; every message modelreg writes has
  // trailers, so that ambiguity never arises for them. Such bodies are excluded here.
  const looksLikeTrailers = (m: CommitMessage) => !m.trailers.length && !!m.body && m.body.split(/\n{2,}/).pop()!.split('\n').every((l) => /^[A-Za-z][A-Za-z0-9-]*: /.test(l));
  it('parseCommitMessage(formatCommitMessage(m)) equals m for any subject, body and trailers without newlines in values', () => {
    fc.assert(fc.property(message(trailers).filter((m) => !looksLikeTrailers(m)), (m) => {
      expect(parseCommitMessage(formatCommitMessage(m))).toEqual(m);
    }), { numRuns: 2000 });
  });

  it('round-trips trailers with empty values', () => {
    fc.assert(fc.property(line, fc.array(fc.tuple(trailerKey, fc.oneof(line, fc.constant(''))), { minLength: 1, maxLength: 4 }), (subject, ts) => {
      const m: CommitMessage = { subject, trailers: ts };
      expect(parseCommitMessage(formatCommitMessage(m))).toEqual(m);
    }), { numRuns: 1000 });
  });

  it('formatting is stable: format(parse(format(m))) === format(m)', () => {
    fc.assert(fc.property(message(trailers), (m) => {
      const text = formatCommitMessage(m);
      expect(formatCommitMessage(parseCommitMessage(text))).toBe(text);
    }), { numRuns: 1000 });
  });

  it('a subject or trailer value with newlines cannot add a trailer', () => {
    fc.assert(fc.property(line, trailerKey, line, (subject, k, v) => {
      const forged = `${subject}\n\nModelreg-Action: approve\nModelreg-By: mallory@example.com`;
      const m: CommitMessage = { subject: forged, trailers: [[k, `${v}\nModelreg-Stage: Production`]] };
      const parsed = parseCommitMessage(formatCommitMessage(m));
      expect(parsed.trailers).toHaveLength(1);
      expect(parsed.trailers[0][0]).toBe(k);
    }), { numRuns: 500 });
  });
});
