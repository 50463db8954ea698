// Matching nodes against a pod's nodeSelector and node affinity terms (component-helpers
// nodeaffinity): terms are ORed, requirements within a term ANDed; matchFields supports metadata.name.
import type { NodeAffinity, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../api-types';
import type { NodeInfo } from './node-info';

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const a = Number.parseInt(value, 10);
      const b = Number.parseInt(values[0] as string, 10);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

export function termMatches(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  // A term with no requirements matches nothing.
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) {
    const has = Object.prototype.hasOwnProperty.call(node.labels, r.key);
    if (!requirementMatches(r, has ? node.labels[r.key] : undefined)) return false;
  }
  for (const r of fields) {
    if (r.key !== 'metadata.name') return false;
    if (!requirementMatches(r, node.name)) return false;
  }
  return true;
}

export function requiredTermsMatch(affinity: NodeAffinity | undefined, node: NodeInfo): boolean {
  const terms = affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => termMatches(t, node));
}

export function nodeSelectorMatches(selector: Record<string, string> | undefined, node: NodeInfo): boolean {
  if (!selector) return true;
  for (const k in selector) if (node.labels[k] !== selector[k]) return false;
  return true;
}

/** The pod's nodeSelector and required node affinity both hold on the node. */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: NodeInfo): boolean {
  return (
    nodeSelectorMatches(pod.spec.nodeSelector, node) &&
    requiredTermsMatch(pod.spec.affinity?.nodeAffinity, node)
  );
}
