// Label and field selectors, as the Kubernetes API understands them (k8s.io/apimachinery/pkg/labels and
// pkg/fields): parsing the query-string form, matching, converting a metav1.LabelSelector object, and printing
// the canonical string. Pure code used by the API server, controllers, the scheduler and the UI.
import { isQualifiedName, isValidLabelValue } from './validation';

export type Labels = Record<string, string>;

export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** Sorted, de-duplicated values (empty for exists / !). */
  values: string[];
}

/** A parsed label selector. `nothing` matches no object (a nil metav1.LabelSelector); no requirements match all. */
export interface LabelSelector {
  requirements: Requirement[];
  nothing?: boolean;
}

/** A selector syntax or validation error; `message` reads like the Kubernetes one. */
export class SelectorParseError extends Error {
  readonly code = 'InvalidSelector';
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

export const everything = (): LabelSelector => ({ requirements: [] });
export const nothing = (): LabelSelector => ({ requirements: [], nothing: true });

function validateKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length > 0) throw new SelectorParseError(`invalid label key "${key}": ${errs.join('; ')}`);
}

function validateValue(key: string, value: string): void {
  const errs = isValidLabelValue(value);
  if (errs.length > 0) {
    throw new SelectorParseError(`invalid label value: "${value}": at key: "${key}": ${errs.join('; ')}`);
  }
}

/** Builds and validates one requirement (labels.NewRequirement). */
export function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  validateKey(key);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        throw new SelectorParseError("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        throw new SelectorParseError('exact-match compatibility requires one single value');
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        throw new SelectorParseError('values set must be empty for exists and does not exist');
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        throw new SelectorParseError("for 'Gt', 'Lt' operators, exactly one value is required");
      }
      if (!/^[+-]?[0-9]+$/.test(values[0] ?? '')) {
        throw new SelectorParseError("for 'Gt', 'Lt' operators, the value must be an integer");
      }
      return { key, operator, values: [...values] };
  }
  for (const v of values) validateValue(key, v);
  return { key, operator, values: [...new Set(values)].sort() };
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value as string);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?[0-9]+$/.test(value as string)) return false;
      const actual = BigInt(value as string);
      const wanted = BigInt(r.values[0] ?? '0');
      return r.operator === 'gt' ? actual > wanted : actual < wanted;
    }
  }
}

/** True if `labels` satisfy every requirement of the selector. */
export function matchesLabels(selector: LabelSelector, labels: Labels | undefined): boolean {
  if (selector.nothing) return false;
  const ls = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, ls));
}

export function isEverything(selector: LabelSelector): boolean {
  return !selector.nothing && selector.requirements.length === 0;
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${r.values.join(',')})`;
    case 'notin':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

/** The canonical string form (labels.Selector.String()): requirements sorted by key, joined by ','. */
export function selectorToString(selector: LabelSelector): string {
  if (selector.nothing) return '';
  return selector.requirements.map(requirementString).join(',');
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  // A stable sort, like Go's sort.Sort on a nearly sorted slice: requirements on one key keep their order.
  return reqs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i))
    .map((x) => x.r);
}

// ---- the query-string parser (labels.Parse) ----

type Tok = 'end' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(' | 'error';

interface Item {
  tok: Tok;
  lit: string;
}

const KEYWORDS: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string) => '=!(),<>'.includes(ch);

function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && isWhitespace(input[pos] as string)) pos++;
    if (pos >= input.length) {
      items.push({ tok: 'end', lit: '' });
      return items;
    }
    const ch = input[pos] as string;
    if (isSpecial(ch)) {
      // Longest run of special symbols that is still a known token ("!=", "==", but "=(" is "=" then "(").
      let buffer = '';
      let last: Item | undefined;
      while (pos < input.length && isSpecial(input[pos] as string)) {
        const next = buffer + input[pos];
        const tok = KEYWORDS[next];
        if (tok) {
          last = { tok, lit: next };
          buffer = next;
          pos++;
        } else if (last) {
          break;
        } else {
          buffer = next;
          pos++;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      if (!last) return [...items, { tok: 'end', lit: '' }];
      continue;
    }
    let word = '';
    while (pos < input.length && !isSpecial(input[pos] as string) && !isWhitespace(input[pos] as string)) {
      word += input[pos];
      pos++;
    }
    const kw = KEYWORDS[word];
    items.push({ tok: kw ?? 'id', lit: word });
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  // In value context the keywords `in`/`notin` are plain identifiers (a label may be called "in").
  private lookahead(values: boolean): Item {
    const it = this.items[this.pos] ?? { tok: 'end', lit: '' };
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private consume(values: boolean): Item {
    const it = this.lookahead(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === 'id' || tok === '!') {
        try {
          reqs.push(this.parseRequirement());
        } catch (e) {
          throw new SelectorParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        const t = this.consume(true);
        if (t.tok === 'end') return reqs;
        if (t.tok === ',') {
          const t2 = this.lookahead(true);
          if (t2.tok !== 'id' && t2.tok !== '!') {
            throw new SelectorParseError(`found '${t2.lit}', expected: identifier after ','`);
          }
          continue;
        }
        throw new SelectorParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
      }
      if (tok === 'end') return reqs;
      throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): Requirement {
    let doesNotExist = false;
    let t = this.consume(true);
    if (t.tok === '!') {
      doesNotExist = true;
      t = this.consume(true);
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    validateKey(key);
    // `!key` is complete by itself; whatever follows it is the caller's problem (as in Kubernetes).
    if (doesNotExist) return newRequirement(key, '!', []);
    const next = this.lookahead(true).tok;
    if (next === 'end' || next === ',') return newRequirement(key, 'exists', []);
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, values);
  }

  private parseOperator(): SelectorOperator {
    const { tok, lit } = this.consume(false);
    switch (tok) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new Error(`found '${lit}', expected: '=', '!=', '==', 'in', notin'`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    if (tok === ')') {
      this.consume(true);
      return [''];
    }
    if (tok !== 'id' && tok !== ',') throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    const close = this.consume(true);
    if (close.tok !== ')') throw new Error(`found '${close.lit}', expected: ')'`);
    return values;
  }

  private parseIdentifiersList(): string[] {
    const values = new Set<string>();
    for (;;) {
      const t = this.consume(true);
      if (t.tok === 'id') {
        values.add(t.lit);
        const t2 = this.lookahead(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return [...values];
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      }
      if (t.tok === ',') {
        if (values.size === 0) values.add(''); // "(,"
        const t2 = this.lookahead(true);
        if (t2.tok === ')') {
          values.add(''); // ",)"
          return [...values];
        }
        if (t2.tok === ',') {
          this.consume(true);
          values.add(''); // ",,"
        }
        continue;
      }
      throw new Error(`found '${t.lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const next = this.lookahead(true);
    if (next.tok === 'end' || next.tok === ',') return [''];
    const t = this.consume(true);
    if (t.tok === 'id') return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * Parses the query-string form: `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`. An empty string selects everything.
 * Throws SelectorParseError with Kubernetes' wording for bad syntax or invalid keys/values.
 */
export function parseLabelSelector(input: string): LabelSelector {
  const items = lex(input);
  return { requirements: sortByKey(new Parser(items).parse()) };
}

// ---- metav1.LabelSelector objects ----

export interface LabelSelectorRequirementObject {
  key: string;
  operator: string;
  values?: string[];
}

/** The object form (`spec.selector` of Deployments, ReplicaSets, DaemonSets...). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirementObject[];
}

/**
 * metav1.LabelSelectorAsSelector: nil → nothing, {} → everything, matchLabels become `=` requirements,
 * matchExpressions In/NotIn/Exists/DoesNotExist. Throws SelectorParseError for unknown operators or bad values.
 */
export function labelSelectorFromObject(obj: LabelSelectorObject | null | undefined): LabelSelector {
  if (obj === null || obj === undefined) return nothing();
  const matchLabels = obj.matchLabels ?? {};
  const exprs = obj.matchExpressions ?? [];
  if (Object.keys(matchLabels).length === 0 && exprs.length === 0) return everything();
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) reqs.push(newRequirement(k, '=', [String(v)]));
  for (const expr of exprs) {
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        reqs.push(newRequirement(expr.key, 'in', values));
        break;
      case 'NotIn':
        reqs.push(newRequirement(expr.key, 'notin', values));
        break;
      case 'Exists':
        reqs.push(newRequirement(expr.key, 'exists', values));
        break;
      case 'DoesNotExist':
        reqs.push(newRequirement(expr.key, '!', values));
        break;
      default:
        throw new SelectorParseError(`"${expr.operator}" is not a valid label selector operator`);
    }
  }
  return { requirements: sortByKey(reqs) };
}

/** True if the labels match the selector object; an invalid selector matches nothing. */
export function matchesLabelSelectorObject(
  obj: LabelSelectorObject | null | undefined,
  labels: Labels | undefined,
): boolean {
  try {
    return matchesLabels(labelSelectorFromObject(obj), labels);
  } catch {
    return false;
  }
}

/** metav1.FormatLabelSelector: the string form, `<none>` when empty or nil, `<error>` when invalid. */
export function formatLabelSelector(obj: LabelSelectorObject | null | undefined): string {
  try {
    const s = selectorToString(labelSelectorFromObject(obj));
    return s.length === 0 ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Labels | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${(labels as Labels)[k]}`).join(',');
}

/** labels.SelectorFromSet: an equality selector for every pair (empty map → everything). */
export function selectorFromLabels(labels: Labels | undefined): LabelSelector {
  return {
    requirements: sortByKey(Object.entries(labels ?? {}).map(([k, v]) => newRequirement(k, '=', [v]))),
  };
}

// ---- field selectors (fields.ParseSelector) ----

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

// Field selector terms are split on unescaped ',' and their values may escape '\', ',' and '='.
function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (ch === '\\' && i + 1 < input.length) {
      current += ch + input[i + 1];
      i++;
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms;
}

function unescapeFieldValue(value: string, selector: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\') {
      const next = value[i + 1];
      if (next === '\\' || next === ',' || next === '=') {
        out += next;
        i++;
        continue;
      }
      throw new SelectorParseError(`invalid field selector: '${selector}'; invalid escape sequence`);
    }
    if (ch === ',' || ch === '=') {
      throw new SelectorParseError(`invalid field selector: '${selector}'; unescaped '${ch}' in value`);
    }
    out += ch;
  }
  return out;
}

// The first position where any operator starts wins, trying "!=" before "==" before "=" (fields.splitTerm).
function splitFieldTerm(term: string): { field: string; op: '=' | '!='; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    const rest = term.slice(i);
    if (rest.startsWith('!=')) return { field: term.slice(0, i), op: '!=', value: term.slice(i + 2) };
    if (rest.startsWith('==')) return { field: term.slice(0, i), op: '=', value: term.slice(i + 2) };
    if (rest.startsWith('=')) return { field: term.slice(0, i), op: '=', value: term.slice(i + 1) };
  }
  return undefined;
}

/**
 * Parses `a=b,c!=d` (also `a==b`). Returns the terms for the server to evaluate against a kind's selectable
 * fields. An empty string selects everything.
 */
export function parseFieldSelector(input: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (input.trim().length === 0) return { requirements };
  for (const term of splitTerms(input)) {
    if (term.length === 0) continue;
    const split = splitFieldTerm(term);
    if (!split) throw new SelectorParseError(`invalid selector: '${input}'; can't understand '${term}'`);
    requirements.push({
      field: split.field,
      operator: split.op,
      value: unescapeFieldValue(split.value, input),
    });
  }
  return { requirements };
}

/** Evaluates a field selector; `fieldValue` returns undefined for a field the kind does not support. */
export function matchesFields(
  selector: FieldSelector,
  fieldValue: (field: string) => string | undefined,
): boolean {
  return selector.requirements.every((r) => {
    const actual = fieldValue(r.field) ?? '';
    return r.operator === '=' ? actual === r.value : actual !== r.value;
  });
}

/** The string form of a field selector (`fields.Selector.String()`), values escaped. */
export function fieldSelectorToString(selector: FieldSelector): string {
  const esc = (v: string) => v.replace(/[\\,=]/g, (c) => `\\${c}`);
  return selector.requirements.map((r) => `${r.field}${r.operator}${esc(r.value)}`).join(',');
}
