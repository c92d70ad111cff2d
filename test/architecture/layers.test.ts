/**
 * The layering of docs/architecture.md, enforced: dependencies point down
 * (cli -> ops -> policy, storage, forge -> domain -> errors), domain/ and policy/ do no I/O,
 * only storage/ talks to isomorphic-git, and no module imports itself through others (no
 * import cycles, static, dynamic or type-only).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../helpers/repo.js';

const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g)) {
    if (/^\s*(?:import|export)\s+type\s/.test(m[0].trim())) continue; // type-only imports carry no runtime dependency
    out.push(m[1]);
  }
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

/** Every relative import of a file (static, dynamic and type-only), resolved to the source file. */
function importedFiles(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...[...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g)].map((m) => m[1]),
    ...[...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]),
  ];
  return specs.filter((s) => s.startsWith('.')).flatMap((s) => {
    const base = join(dirname(file), s).replace(/\.js$/, '');
    return [`${base}.ts`, join(base, 'index.ts')].filter((p) => existsSync(p)).slice(0, 1);
  });
}

/** The import cycles among `all`, each as its path (a.ts -> b.ts -> a.ts), found by a depth-first search. */
export function importCycles(all: string[], edges: (file: string) => string[] = importedFiles): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of edges(f)) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g].map((x) => relative(SRC, x)).join(' -> '));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of all) if (!state.has(f)) visit(f);
  return cycles;
}

const layer = (file: string) => relative(SRC, file).split('/')[0];
const ALLOWED: Record<string, string[]> = {
  errors: [],
  generated: [],
  domain: ['errors', 'generated', 'domain'],
  policy: ['errors', 'generated', 'domain', 'policy'],
  storage: ['errors', 'generated', 'domain', 'storage'],
  forge: ['errors', 'forge'],
  ops: ['errors', 'generated', 'domain', 'policy', 'storage', 'forge', 'ops'],
  report: ['errors', 'domain', 'ops', 'report', 'policy'],
  cli: ['errors', 'domain', 'ops', 'report', 'cli', 'storage', 'server'],
  // `modelreg serve`: a client of ops, as cli/ is.
  server: ['errors', 'domain', 'ops', 'server', 'ui'],
  // The web UI's pages: rendered from ops/ results, served by server/.
  ui: ['errors', 'domain', 'ops', 'ui'],
};
const IO_MODULES = /^node:(fs|fs\/promises|child_process|net|http|https|os|worker_threads)$|^isomorphic-git/;

describe('layers', () => {
  const all = files(SRC);

  it('every source file belongs to a known layer', () => {
    expect(all.map(layer).filter((l) => !(l in ALLOWED) && l !== 'index.ts')).toEqual([]);
  });

  it('dependencies point down', () => {
    const violations: string[] = [];
    for (const f of all) {
      const from = layer(f);
      if (from === 'index.ts') continue;
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = layer(join(f, '..', spec));
        if (!ALLOWED[from].includes(target)) violations.push(`${relative(SRC, f)} imports ${spec} (${from} -> ${target})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('domain/ and policy/ do no I/O, and only storage/ uses isomorphic-git', () => {
    const violations: string[] = [];
    for (const f of all) {
      const from = layer(f);
      for (const spec of imports(f)) {
        if ((from === 'domain' || from === 'policy') && IO_MODULES.test(spec)) violations.push(`${relative(SRC, f)} imports ${spec}`);
        if (spec.startsWith('isomorphic-git') && from !== 'storage') violations.push(`${relative(SRC, f)} imports ${spec}`);
      }
      if (from === 'domain' || from === 'policy') {
        const text = readFileSync(f, 'utf8');
        if (/process\.env|Date\.now\(\)|new Date\(\)/.test(text)) violations.push(`${relative(SRC, f)} reads the environment or the clock`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no import cycles (static, dynamic or type-only)', () => {
    expect(importCycles(all)).toEqual([]);
  });

  it('the cycle search names the path of a cycle', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c', 'd'], c: ['a'], d: [] };
    const at = (n: string) => join(SRC, `${n}.ts`);
    const cycles = importCycles(Object.keys(graph).map(at), (f) => graph[relative(SRC, f).replace(/\.ts$/, '')].map(at));
    expect(cycles).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
  });
});
