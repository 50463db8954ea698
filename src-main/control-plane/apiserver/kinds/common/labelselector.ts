// metav1validation.ValidateLabelSelector: the object form of a selector (matchLabels + matchExpressions).
import type { StatusCause } from '../../../../shared/status';
import { isQualifiedName } from '../../../../shared/validation';
import { forbidden, invalid, required, type FieldPath } from './field';
import { validateLabels } from './meta';
import { isRecord, list, rec, str } from './util';

export function validateLabelSelector(selector: unknown, path: FieldPath): StatusCause[] {
  const sel = rec(selector);
  if (!sel) return [];
  const out: StatusCause[] = [];
  list(sel.matchExpressions).forEach((expr, i) => {
    if (!isRecord(expr)) return;
    const p = path.child('matchExpressions').index(i);
    const op = str(expr.operator);
    const values = list(expr.values);
    switch (op) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          out.push(required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        }
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
      default:
        out.push(invalid(p.child('operator'), op, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(str(expr.key))) out.push(invalid(p.child('key'), str(expr.key), msg));
  });
  out.push(...validateLabels(sel.matchLabels, path.child('matchLabels')));
  return out;
}

export function isEmptySelector(selector: unknown): boolean {
  const sel = rec(selector);
  return (
    !sel || (Object.keys(rec(sel.matchLabels) ?? {}).length === 0 && list(sel.matchExpressions).length === 0)
  );
}
