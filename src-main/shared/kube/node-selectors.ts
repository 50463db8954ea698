// Matching a node against a pod's nodeSelector and node affinity (component-helpers nodeaffinity), for
// the scheduler and the DaemonSet controller alike: terms are ORed, the requirements within a term
// ANDed, a term without requirements matches nothing, and matchFields supports metadata.name.
import type { NodeAffinity, NodeSelectorRequirement, NodeSelectorTerm, SchedulingSpec } from './objects';

/** What a node is matched on. */
export interface NodeLabels {
  name: string;
  labels: Record<string, string>;
}

/** strconv.ParseInt(s, 10, 64): digits with an optional sign and nothing else. */
function parseInteger(s: string | undefined): number | undefined {
  return s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

export function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
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
      if (values.length !== 1) return false;
      const a = parseInteger(value);
      const b = parseInteger(values[0]);
      if (a === undefined || b === undefined) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

export function termMatches(term: NodeSelectorTerm, node: NodeLabels): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  // Own properties only: a label key such as `constructor` must not find Object's.
  const label = (key: string) => (Object.hasOwn(node.labels, key) ? node.labels[key] : undefined);
  return (
    exprs.every((r) => requirementMatches(r, label(r.key))) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.name))
  );
}

/** The required node affinity holds (no requirement, or one of its terms matches). */
export function requiredTermsMatch(affinity: NodeAffinity | undefined, node: NodeLabels): boolean {
  const required = affinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, node));
}

export function nodeSelectorMatches(selector: Record<string, string> | undefined, node: NodeLabels): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => Object.hasOwn(node.labels, k) && node.labels[k] === v);
}

/** The pod's nodeSelector and required node affinity both hold on the node. */
export function nodeSelectorAndAffinityMatch(spec: SchedulingSpec, node: NodeLabels): boolean {
  return (
    nodeSelectorMatches(spec.nodeSelector, node) && requiredTermsMatch(spec.affinity?.nodeAffinity, node)
  );
}
