/**
 * A policy's stages and allowed transitions as an inline SVG, generated here: stages in the
 * policy's order on one row, moves forward drawn above it and moves back below, `*` as an
 * "any stage" node. Every label goes through `html`, so a stage name cannot inject markup.
 */
import type { Policy } from '../domain/state.js';
import { html, type Html } from './html.js';

const W = 130;
const GAP = 50;
const H = 36;

const list = (s: string | string[]) => (Array.isArray(s) ? s : [s]);

export function policyGraph(doc: Policy): Html {
  const stages = doc.stages.map((s) => s.name);
  const transitions = doc.transitions ?? [];
  const anyFrom = transitions.some((t) => list(t.from).includes('*'));
  const nodes = [...(anyFrom ? ['*'] : []), ...stages];
  const x = (name: string) => nodes.indexOf(name) * (W + GAP);
  const edges: Array<{ from: string; to: string; label: string }> = [];
  for (const t of transitions) {
    const targets = list(t.to).flatMap((s) => (s === '*' ? stages : [s]));
    for (const from of list(t.from)) for (const to of targets) {
      if (!nodes.includes(from) || !nodes.includes(to) || from === to) continue;
      const bits = [t.when ? 'guard' : '', t.approvals?.min ? `${t.approvals.min} approval${t.approvals.min > 1 ? 's' : ''}` : '', t.minTimeInStage ? `≥ ${t.minTimeInStage}` : ''].filter(Boolean);
      edges.push({ from, to, label: bits.join(', ') });
    }
  }
  const width = nodes.length * (W + GAP) - GAP + 20;
  const mid = 150;
  let above = 0;
  let below = 0;
  const paths = edges.map((e) => {
    const x1 = x(e.from) + W / 2;
    const x2 = x(e.to) + W / 2;
    const forward = x2 > x1;
    const span = Math.abs(x2 - x1) / (W + GAP);
    const lift = 28 + span * 18 + (forward ? above++ : below++) % 3 * 10;
    const y1 = forward ? mid - H / 2 : mid + H / 2;
    const cy = forward ? y1 - lift * 2 : y1 + lift * 2;
    const lx = (x1 + x2) / 2;
    const ly = forward ? y1 - lift - 4 : y1 + lift + 12;
    return html`<g class="edge-group" data-from="${e.from}" data-to="${e.to}"><path class="edge" d="M ${x1 + 10} ${y1} Q ${lx} ${cy} ${x2 - 10} ${y1}" marker-end="url(#arrow)" stroke-width="1.5"/>
${e.label ? html`<text class="edge-label" x="${lx}" y="${ly}" text-anchor="middle">${e.label}</text>` : ''}<title>${e.from === '*' ? 'any stage' : e.from} → ${e.to}${e.label ? `: ${e.label}` : ''}</title></g>`;
  });
  const height = below ? 300 : mid + H / 2 + 20;
  const boxes = nodes.map((n) => html`<g class="node" data-stage="${n}"><rect x="${x(n)}" y="${mid - H / 2}" width="${W}" height="${H}" rx="8" stroke-width="1.5"/><text x="${x(n) + W / 2}" y="${mid + 5}" text-anchor="middle">${n === '*' ? 'any stage' : n}${doc.stages.find((s) => s.name === n)?.exclusive ? ' ①' : ''}</text></g>`);
  return html`<svg class="policy-graph" xmlns="http://www.w3.org/2000/svg" viewBox="-10 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="policy-graph-title">
<title id="policy-graph-title">Stages of policy ${doc.name} and the moves it allows</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555962"/></marker></defs>
${paths}${boxes}</svg>`;
}
