/**
 * Static analysis of a parsed guard: fields the records do not have, and how deeply
 * comprehension macros nest (which bounds how long a guard can run).
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { ROOT_SHAPES, selectField, type Shape } from './shapes.js';

/** Macros that iterate over a list or map; nesting them multiplies evaluation cost. */
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

export interface FieldError {
  /** Offset of the offending node in the expression (0-based). */
  offset: number;
  message: string;
}

export interface Analysis {
  fieldErrors: FieldError[];
  /** Deepest nesting of comprehension macros: 0 for none, 1 for `xs.all(x, ...)`, 2 for a macro inside one. */
  comprehensionDepth: number;
  /** Most elements of any list or map literal in the guard. */
  largestLiteral: number;
}

type Scope = ReadonlyMap<string, Shape | undefined>;

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'args' in x;
}

class Analyzer {
  readonly fieldErrors: FieldError[] = [];
  comprehensionDepth = 0;
  /** Most elements of any list or map literal: a comprehension over a literal iterates that often. */
  largestLiteral = 0;
  constructor(private readonly source: string) {}

  /** Walks a node and returns the shape of its value when it is statically known. */
  visit(node: ASTNode, scope: Scope, depth: number): Shape | undefined {
    switch (node.op) {
      case 'value':
        return undefined;
      case 'id':
        return scope.has(node.args) ? scope.get(node.args) : Object.hasOwn(ROOT_SHAPES, node.args) ? ROOT_SHAPES[node.args] : undefined;
      case '.':
      case '.?':
        return this.select(node, node.args[0], this.visit(node.args[0], scope, depth), node.args[1]);
      case '[]':
      case '[?]':
        return this.index(node, scope, depth);
      case 'rcall':
        return this.receiverCall(node, scope, depth);
      case 'list':
      case 'map':
        if (Array.isArray(node.args)) this.largestLiteral = Math.max(this.largestLiteral, node.args.length);
        this.visitChildren(node.args, scope, depth);
        return undefined;
      default:
        this.visitChildren(node.args, scope, depth);
        return undefined;
    }
  }

  private select(node: ASTNode, baseNode: ASTNode, base: Shape | undefined, field: string): Shape | undefined {
    const { shape, error } = selectField(base, field);
    if (error) {
      const path = this.source.slice(node.start, node.end);
      const owner = this.source.slice(baseNode.start, baseNode.end);
      const offset = node.op === '.' || node.op === '.?' ? node.end - field.length : node.start;
      this.fieldErrors.push({ offset, message: `${path}: ${owner} ${error}` });
    }
    return shape;
  }

  private index(node: ASTNode & { op: '[]' | '[?]' }, scope: Scope, depth: number): Shape | undefined {
    const [baseNode, key] = node.args;
    const base = this.visit(baseNode, scope, depth);
    this.visit(key, scope, depth);
    if (base?.kind === 'list') return base.items;
    if (base?.kind === 'map') return base.values;
    if (base?.kind === 'object' && key.op === 'value' && typeof key.args === 'string') return this.select(node, baseNode, base, key.args);
    return undefined;
  }

  private receiverCall(node: ASTNode & { op: 'rcall' }, scope: Scope, depth: number): Shape | undefined {
    const [name, receiver, args] = node.args;
    const variable = args[0]?.op === 'id' ? args[0].args : undefined;
    if (receiver.op === 'id' && receiver.args === 'cel' && !scope.has('cel') && name === 'bind' && variable && args.length === 3) {
      const bound = this.visit(args[1], scope, depth);
      return this.visit(args[2], new Map(scope).set(variable, bound), depth);
    }
    const base = this.visit(receiver, scope, depth);
    if (COMPREHENSIONS.has(name) && variable && args.length >= 2) {
      const element = base?.kind === 'list' ? base.items : base?.kind === 'map' ? ({ kind: 'scalar', type: 'string' } as Shape) : undefined;
      const inner = new Map(scope).set(variable, element);
      this.comprehensionDepth = Math.max(this.comprehensionDepth, depth + 1);
      for (const a of args.slice(1)) this.visit(a, inner, depth + 1);
      if (name !== 'filter') return undefined;
      return base?.kind === 'map' ? { kind: 'list', items: { kind: 'scalar', type: 'string' } } : base;
    }
    this.visitChildren(args, scope, depth);
    return undefined;
  }

  private visitChildren(args: unknown, scope: Scope, depth: number): void {
    if (isNode(args)) {
      this.visit(args, scope, depth);
      return;
    }
    if (!Array.isArray(args)) return;
    for (const a of args) {
      if (isNode(a)) this.visit(a, scope, depth);
      else if (Array.isArray(a)) this.visitChildren(a, scope, depth);
    }
  }
}

/**
 * Unknown fields and comprehension depth of a parsed guard.
 * @example analyze(env.parse('version.metricz.auc > 0.9').ast, 'version.metricz.auc > 0.9').fieldErrors[0].offset // 8
 */
export function analyze(ast: ASTNode, source: string, scope: Scope = new Map()): Analysis {
  const a = new Analyzer(source);
  a.visit(ast, scope, 0);
  return { fieldErrors: a.fieldErrors, comprehensionDepth: a.comprehensionDepth, largestLiteral: a.largestLiteral };
}
