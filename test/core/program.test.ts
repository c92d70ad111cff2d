/**
 * src/cli/main.ts registers only the module of the command a command line names (start-up: each
 * command's commander objects cost every command). These tests keep its table of names true.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram, commandOf } from '../../src/cli/main.js';

const names = (command?: string) => buildProgram(command).commands.map((c) => c.name());

describe('the command program', () => {
  it('with a command, registers that command and only its own module\'s', () => {
    const all = names();
    expect(all.length).toBeGreaterThan(30);
    expect(new Set(all).size).toBe(all.length);
    for (const name of all) {
      const some = names(name);
      expect(some, name).toContain(name);
      // Fewer than all: the name is in the table, so the lazy path was taken.
      expect(some.length, `${name} registers every command: add it to REGISTRARS in src/cli/main.ts`).toBeLessThan(all.length);
      // The module's commands are in the full program, in the same order.
      expect(all.filter((n) => some.includes(n))).toEqual(some);
    }
  });

  it('registers everything for help, usage and an unknown command, so help lists all and typos get suggestions', () => {
    const all = names();
    expect(names(undefined)).toEqual(all);
    expect(names('help')).toEqual(all);
    expect(names('reslove')).toEqual(all);
  });

  it('finds the command after -C and --registry and their values, and after flags', () => {
    expect(commandOf(['node', 'modelreg', '-C', 'list', 'resolve', 'models:/a/1'])).toBe('resolve');
    expect(commandOf(['node', 'modelreg', '--registry', 'show', '--json', 'list'])).toBe('list');
    expect(commandOf(['node', 'modelreg', '--json', 'history', 'm'])).toBe('history');
    expect(commandOf(['node', 'modelreg', '--help'])).toBeUndefined();
  });
});
