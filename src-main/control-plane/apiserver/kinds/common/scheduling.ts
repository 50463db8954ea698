// Validation of the scheduling-related pod spec fields: tolerations, node and pod affinity.
import type { StatusCause } from '../../../../shared/status';
import { isQualifiedName, isValidLabelValue } from '../../../../shared/validation';
import { forbidden, invalid, notSupported, required, type FieldPath } from './field';
import { validateLabelSelector } from './labelselector';
import { deepEqual } from './field';
import { isRecord, list, rec, recList, str } from './util';

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: FieldPath): StatusCause[] {
  const e = str(effect);
  if (e === '') return allowEmpty ? [] : [required(path)];
  return (TAINT_EFFECTS as readonly string[]).includes(e) ? [] : [notSupported(path, e, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: unknown, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  list(tolerations).forEach((t, i) => {
    if (!isRecord(t)) return;
    const p = path.index(i);
    const key = str(t.key);
    const operator = str(t.operator);
    const value = str(t.value);
    if (key !== '') for (const msg of isQualifiedName(key)) out.push(invalid(p.child('key'), key, msg));
    if (key === '' && operator !== 'Exists') {
      out.push(
        invalid(
          p.child('operator'),
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && str(t.effect) !== 'NoExecute') {
      out.push(
        invalid(
          p.child('effect'),
          str(t.effect),
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (operator) {
      case '':
      case 'Equal':
        for (const msg of isValidLabelValue(value)) out.push(invalid(p.child('value'), value, msg));
        break;
      case 'Exists':
        if (value !== '')
          out.push(invalid(p.child('operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        out.push(notSupported(p.child('operator'), operator, ['Equal', 'Exists']));
    }
    if (t.effect !== undefined && str(t.effect) !== '')
      out.push(...validateTaintEffect(t.effect, true, p.child('effect')));
  });
  return out;
}

/** validateOnlyAddedTolerations: existing tolerations may only change their tolerationSeconds. */
export function validateOnlyAddedTolerations(next: unknown, prev: unknown, path: FieldPath): StatusCause[] {
  const nextList = recList(next);
  for (const old of recList(prev)) {
    const found = nextList.some((n) => deepEqual({ ...old, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found)
      return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

function validateNodeSelectorRequirements(reqs: unknown, path: FieldPath): StatusCause[] {
  const out: StatusCause[] = [];
  list(reqs).forEach((r, i) => {
    if (!isRecord(r)) return;
    const p = path.index(i);
    const values = list(r.values);
    const op = str(r.operator);
    switch (op) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          out.push(required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          out.push(
            forbidden(
              p.child('values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      case 'Gt':
      case 'Lt':
        if (values.length !== 1) {
          out.push(
            required(p.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"),
          );
        }
        break;
      default:
        out.push(invalid(p.child('operator'), op, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(str(r.key))) out.push(invalid(p.child('key'), str(r.key), msg));
  });
  return out;
}

function validateNodeSelectorTerm(term: unknown, path: FieldPath): StatusCause[] {
  const t = rec(term) ?? {};
  return [
    ...validateNodeSelectorRequirements(t.matchExpressions, path.child('matchExpressions')),
    ...validateNodeSelectorRequirements(t.matchFields, path.child('matchFields')),
  ];
}

function validatePodAffinityTerm(term: unknown, p: FieldPath): StatusCause[] {
  if (!isRecord(term)) return [];
  const out: StatusCause[] = [];
  out.push(...validateLabelSelector(term.labelSelector, p.child('labelSelector')));
  out.push(...validateLabelSelector(term.namespaceSelector, p.child('namespaceSelector')));
  const topologyKey = str(term.topologyKey);
  if (topologyKey === '') out.push(required(p.child('topologyKey'), 'can not be empty'));
  else
    for (const msg of isQualifiedName(topologyKey))
      out.push(invalid(p.child('topologyKey'), topologyKey, msg));
  return out;
}

function validateWeighted(
  terms: unknown,
  path: FieldPath,
  inner: string,
  check: (t: unknown, p: FieldPath) => StatusCause[],
): StatusCause[] {
  const out: StatusCause[] = [];
  list(terms).forEach((t, i) => {
    if (!isRecord(t)) return;
    const p = path.index(i);
    const weight = t.weight;
    if (typeof weight !== 'number' || weight < 1 || weight > 100) {
      out.push(invalid(p.child('weight'), weight ?? 0, 'must be in the range 1-100'));
    }
    out.push(...check(t[inner], p.child(inner)));
  });
  return out;
}

export function validateAffinity(affinity: unknown, path: FieldPath): StatusCause[] {
  const a = rec(affinity);
  if (!a) return [];
  const out: StatusCause[] = [];
  const node = rec(a.nodeAffinity);
  if (node) {
    const np = path.child('nodeAffinity');
    const req = rec(node.requiredDuringSchedulingIgnoredDuringExecution);
    if (req) {
      const rp = np.child('requiredDuringSchedulingIgnoredDuringExecution');
      const terms = list(req.nodeSelectorTerms);
      if (terms.length === 0)
        out.push(required(rp.child('nodeSelectorTerms'), 'must have at least one node selector term'));
      terms.forEach((t, i) =>
        out.push(...validateNodeSelectorTerm(t, rp.child('nodeSelectorTerms').index(i))),
      );
    }
    out.push(
      ...validateWeighted(
        node.preferredDuringSchedulingIgnoredDuringExecution,
        np.child('preferredDuringSchedulingIgnoredDuringExecution'),
        'preference',
        validateNodeSelectorTerm,
      ),
    );
  }
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const pa = rec(a[kind]);
    if (!pa) continue;
    const pp = path.child(kind);
    out.push(
      ...list(pa.requiredDuringSchedulingIgnoredDuringExecution).flatMap((t, i) =>
        validatePodAffinityTerm(t, pp.child('requiredDuringSchedulingIgnoredDuringExecution').index(i)),
      ),
    );
    out.push(
      ...validateWeighted(
        pa.preferredDuringSchedulingIgnoredDuringExecution,
        pp.child('preferredDuringSchedulingIgnoredDuringExecution'),
        'podAffinityTerm',
        validatePodAffinityTerm,
      ),
    );
  }
  return out;
}
