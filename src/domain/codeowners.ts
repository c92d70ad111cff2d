/**
 * CODEOWNERS text: model folders owned by their owners, policies by the policy groups, in the
 * syntax of the forge that reads it. GitHub: one line per path. GitLab: sections (`[Name]`),
 * one for the registry settings and one per model, so the merge request's approval widget
 * names the model whose owners must approve.
 */
export type CodeownersSyntax = 'github' | 'gitlab';

export interface CodeownersInput {
  registryDir: string;
  policiesDir: string;
  models: Array<{ name: string; owners: string[] }>;
  groups: Record<string, string[]>;
  /** Default github. */
  syntax?: CodeownersSyntax;
}

/** An identity as an owner on the forge: `@login` for its own kind of account, an email as is, otherwise nothing. */
function owner(identity: string, syntax: CodeownersSyntax): string | undefined {
  const id = identity.trim();
  const prefix = `${syntax}:`;
  if (id.toLowerCase().startsWith(prefix)) return `@${id.slice(prefix.length)}`;
  if (/^[a-z]+:/i.test(id)) return undefined; // an account on another forge
  if (id.includes('@')) return id;
  return undefined;
}

function owners(ids: string[], syntax: CodeownersSyntax): string[] {
  return [...new Set(ids.map((x) => owner(x, syntax)).filter((x): x is string => !!x))];
}

/**
 * @example
 * renderCodeowners({ registryDir: 'registry', policiesDir: 'policies', syntax: 'gitlab',
 *   models: [{ name: 'churn', owners: ['gitlab:dana'] }], groups: { leads: ['gitlab:carol'] } });
 * // '# Written by …\n\n[Registry settings]\n/policies/ @carol\n/modelreg.yaml @carol\n\n[Model churn]\n/registry/churn/ @dana\n'
 */
export function renderCodeowners(i: CodeownersInput): string {
  const syntax = i.syntax ?? 'github';
  const lines = ['# Written by `modelreg codeowners` from model owners and policy groups. Regenerate it after changing owners or groups.', ''];
  const groupOwners = owners(Object.values(i.groups).flat(), syntax);
  const models = [...i.models].sort((a, b) => a.name.localeCompare(b.name)).map((m) => ({ name: m.name, owners: owners(m.owners, syntax) })).filter((m) => m.owners.length);
  if (syntax === 'github') {
    if (groupOwners.length) lines.push(`/${i.policiesDir}/ ${groupOwners.join(' ')}`, '/modelreg.yaml ' + groupOwners.join(' '));
    for (const m of models) lines.push(`/${i.registryDir}/${m.name}/ ${m.owners.join(' ')}`);
    return `${lines.join('\n')}\n`;
  }
  const sections: string[][] = [];
  if (groupOwners.length) sections.push(['[Registry settings]', `/${i.policiesDir}/ ${groupOwners.join(' ')}`, `/modelreg.yaml ${groupOwners.join(' ')}`]);
  for (const m of models) sections.push([`[Model ${m.name}]`, `/${i.registryDir}/${m.name}/ ${m.owners.join(' ')}`]);
  return `${[...lines, sections.map((s) => s.join('\n')).join('\n\n')].join('\n').replace(/\n+$/, '')}\n`;
}
