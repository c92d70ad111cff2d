/**
 * Reading deployment files at a commit (`deployments/<env>/<model>.yaml`, domain/deployments.ts).
 * A model's deployments are one tree lookup per environment; every deployment (for `list`)
 * comes from a cache by blob id, so a listing parses only the files no listing parsed before.
 */
import { RegistryError } from '../errors/index.js';
import { DEPLOYMENTS_DIR, type Deployment } from '../domain/deployments.js';
import { modelKey } from '../domain/names.js';
import type { TreeEntry } from './objects.js';
import type { TreeReader } from './tree-reader.js';
import { DeploymentCache } from './deployment-cache.js';

async function deploymentsTree(snap: TreeReader): Promise<string | undefined> {
  const e = await snap.entry(DEPLOYMENTS_DIR);
  return e?.type === 'tree' ? e.oid : undefined;
}

/** One deployment file, parsed and validated, and held to its path (INVALID_FILE otherwise). */
async function readOne(snap: TreeReader, env: string, model: string, entry: TreeEntry): Promise<Deployment> {
  const path = `${DEPLOYMENTS_DIR}/${env}/${model}.yaml`;
  const d = (await snap.record<Deployment>('deployment', path, entry))!.value;
  if (d.env !== env || modelKey(d.model) !== modelKey(model)) {
    throw new RegistryError('INVALID_FILE', `${path}: the file says model ${d.model} in ${d.env}, which does not match its path (${DEPLOYMENTS_DIR}/<env>/<model>.yaml). Fix the file (modelreg check lists every problem).`, { file: path, field: d.env !== env ? 'env' : 'model' });
  }
  return d;
}

/**
 * Every environment's deployment of `model` (its name as the registry spells it), by env.
 * @example await deploymentsOfModel(snap, 'churn') // [{ model: 'churn', env: 'staging', version: '2.1.0', ... }]
 */
export async function deploymentsOfModel(snap: TreeReader, model: string): Promise<Deployment[]> {
  const root = await deploymentsTree(snap);
  if (!root) return [];
  const out: Deployment[] = [];
  for (const env of await snap.store.readTree(root)) {
    if (env.type !== 'tree') continue;
    const e = await snap.store.entryAt(env.oid, `${model}.yaml`);
    if (e) out.push(await readOne(snap, env.path, model, e));
  }
  return out;
}

/**
 * Every deployment in the registry (what `list` shows). Files already parsed in an earlier
 * listing come from the cache by blob id (storage/deployment-cache.ts); only new ones are parsed.
 * @example (await allDeployments(snap)).length // 6
 */
export async function allDeployments(snap: TreeReader): Promise<Deployment[]> {
  const root = await deploymentsTree(snap);
  if (!root) return [];
  const cache = DeploymentCache.load(snap.store.gitdir);
  const out: Deployment[] = [];
  const walk = async (env: string, tree: string, prefix: string) => {
    for (const e of await snap.store.readTree(tree)) {
      if (e.type === 'tree' && !prefix) await walk(env, e.oid, `${e.path}/`);
      else if (e.type === 'blob' && e.path.endsWith('.yaml')) {
        const model = `${prefix}${e.path.slice(0, -5)}`;
        const hit = e.mode !== '120000' ? cache.get(e.oid) : undefined;
        if (hit && hit.env === env && modelKey(hit.model) === modelKey(model)) out.push(hit);
        else {
          const d = await readOne(snap, env, model, e);
          cache.set(e.oid, d);
          out.push(d);
        }
      }
    }
  };
  for (const env of await snap.store.readTree(root)) if (env.type === 'tree') await walk(env.path, env.oid, '');
  cache.save();
  return out;
}
