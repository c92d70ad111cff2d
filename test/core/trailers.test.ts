/** Commit messages (src/domain/trailers.ts): a subject for people, Modelreg-* trailers for machines. */
import { describe, expect, it } from 'vitest';
import { formatCommitMessage, parseCommitMessage, trailerValue, type CommitMessage } from '../../src/domain/trailers.js';

describe('commit message round trip', () => {
  const cases: Array<[string, CommitMessage]> = [
    ['subject and trailers', { subject: 'register churn 1.0.0', trailers: [['Modelreg-Action', 'register'], ['Modelreg-Model', 'churn'], ['Modelreg-Version', '1.0.0'], ['Modelreg-Stage', 'None']] }],
    ['subject, body and trailers', {
      subject: 'promote churn-prediction 2.1.0: Staging -> Production',
      body: 'Retrained on the March data.\n\nSee the evaluation report.',
      trailers: [['Modelreg-Action', 'transition'], ['Modelreg-Model', 'churn-prediction'], ['Modelreg-Version', '2.1.0'], ['Modelreg-From', 'Staging'], ['Modelreg-To', 'Production'], ['Modelreg-Archived', '2.0.0']],
    }],
    ['subject only', { subject: 'init modelreg registry', trailers: [] }],
    ['a trailer value with colons and spaces', { subject: 's', trailers: [['Modelreg-Model', 'team/churn'], ['Modelreg-Note', 'a: b c']] }],
  ];

  it.each(cases)('%s survives format then parse', (_why, msg) => {
    const text = formatCommitMessage(msg);
    expect(text.endsWith('\n')).toBe(true);
    expect(parseCommitMessage(text)).toEqual(msg);
    // Formatting the parsed message gives the same bytes.
    expect(formatCommitMessage(parseCommitMessage(text))).toBe(text);
  });

  it('writes the layout of DESIGN.md §4', () => {
    expect(formatCommitMessage({ subject: 'promote churn 2.1.0: Staging -> Production', trailers: [['Modelreg-Action', 'transition'], ['Modelreg-To', 'Production']] }))
      .toBe('promote churn 2.1.0: Staging -> Production\n\nModelreg-Action: transition\nModelreg-To: Production\n');
  });

  it('keeps newlines out of the subject and trailer values, so a value cannot forge a trailer', () => {
    const text = formatCommitMessage({ subject: 'register x\n\nModelreg-Action: delete', trailers: [['Modelreg-Model', 'x\nModelreg-Version: 9.9.9']] });
    const parsed = parseCommitMessage(text);
    expect(parsed.subject).toBe('register x Modelreg-Action: delete');
    expect(parsed.trailers).toEqual([['Modelreg-Model', 'x Modelreg-Version: 9.9.9']]);
    expect(trailerValue(parsed, 'Modelreg-Version')).toBeUndefined();
  });

  it('parses what git writes (CRLF, trailing blank lines) and looks trailers up case-insensitively', () => {
    const parsed = parseCommitMessage('register churn 1.0.0\r\n\r\nModelreg-Action: register\r\nModelreg-Version: 1.0.0\r\n\r\n');
    expect(parsed).toEqual({ subject: 'register churn 1.0.0', trailers: [['Modelreg-Action', 'register'], ['Modelreg-Version', '1.0.0']] });
    expect(trailerValue(parsed, 'modelreg-version')).toBe('1.0.0');
  });

  it('does not take a prose last paragraph for trailers', () => {
    const parsed = parseCommitMessage('fix typo\n\nThis changes the description.\nNothing else.\n');
    expect(parsed.trailers).toEqual([]);
    expect(parsed.body).toBe('This changes the description.\nNothing else.');
  });
});
