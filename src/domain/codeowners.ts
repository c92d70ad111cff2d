/** CODEOWNERS text: model folders owned by their owners, policies by the policy groups. */
function owner(identity: string): string | undefined {
  if (identity.startsWith('github:')) return `@${identity.slice('github:'.length)}`;
  if (identity.includes('@')) return identity;
  return undefined;
}

export function renderCodeowners(i: { registryDir: string; policiesDir: string; models: Array<{ name: string; owners: string[] }>; groups: Record<string, string[]> }): string {
  const lines = ['# Written by `modelreg codeowners` from model owners and policy groups. Regenerate it after changing owners or groups.', ''];
  const groupOwners = [...new Set(Object.values(i.groups).flat().map(owner).filter((x): x is string => !!x))];
  if (groupOwners.length) lines.push(`/${i.policiesDir}/ ${groupOwners.join(' ')}`, '/modelreg.yaml ' + groupOwners.join(' '));
  for (const m of [...i.models].sort((a, b) => a.name.localeCompare(b.name))) {
    const owners = [...new Set(m.owners.map(owner).filter((x): x is string => !!x))];
    if (owners.length) lines.push(`/${i.registryDir}/${m.name}/ ${owners.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
