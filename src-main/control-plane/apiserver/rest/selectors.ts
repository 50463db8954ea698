// Label and field selectors of list/watch/deletecollection requests, turned into one predicate.
import { matchesLabels, parseFieldSelector, parseLabelSelector } from '../../../shared/labels';
import { errors } from '../errors';
import type { KindStrategy, KubeObject } from '../kinds/types';

export type Predicate = (obj: KubeObject) => boolean;

const always: Predicate = () => true;

export function selectorPredicate(strategy: KindStrategy, query: URLSearchParams): Predicate {
  const labelQuery = query.get('labelSelector') ?? '';
  const fieldQuery = query.get('fieldSelector') ?? '';
  const predicates: Predicate[] = [];

  if (labelQuery.trim() !== '') {
    let selector: ReturnType<typeof parseLabelSelector>;
    try {
      selector = parseLabelSelector(labelQuery);
    } catch (err) {
      throw errors.badRequest((err as Error).message);
    }
    predicates.push((obj) => matchesLabels(selector, obj.metadata?.labels ?? {}));
  }

  if (fieldQuery.trim() !== '') {
    let terms: ReturnType<typeof parseFieldSelector>;
    try {
      terms = parseFieldSelector(fieldQuery);
    } catch (err) {
      throw errors.badRequest((err as Error).message);
    }
    for (const term of terms.requirements) {
      const get = fieldGetter(strategy, term.field);
      if (!get) {
        throw errors.badRequest(`field label not supported: ${term.field}`, [
          {
            reason: 'FieldValueNotSupported',
            field: 'fieldSelector',
            message: `field label not supported: ${term.field}`,
          },
        ]);
      }
      const expected = term.value;
      predicates.push(
        term.operator === '!='
          ? (obj) => (get(obj) ?? '') !== expected
          : (obj) => (get(obj) ?? '') === expected,
      );
    }
  }

  if (predicates.length === 0) return always;
  if (predicates.length === 1) return predicates[0]!;
  return (obj) => predicates.every((p) => p(obj));
}

function fieldGetter(
  strategy: KindStrategy,
  field: string,
): ((obj: KubeObject) => string | undefined) | undefined {
  if (field === 'metadata.name') return (obj) => obj.metadata?.name;
  if (field === 'metadata.namespace') return (obj) => obj.metadata?.namespace;
  return strategy.fieldSelectors?.[field];
}

/** A watch or list of a single object by name: `fieldSelector=metadata.name=NAME` (what kubectl get -w NAME sends). */
export function nameFromFieldSelector(query: URLSearchParams): string | undefined {
  const fs = query.get('fieldSelector');
  if (!fs) return undefined;
  const m = /^metadata\.name==?([^,]+)$/.exec(fs.trim());
  return m ? m[1] : undefined;
}
