import { describe, expect, it } from 'vitest';
import {
  fieldSelectorToString,
  formatLabels,
  formatLabelSelector,
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectorToString,
} from './labels';

describe('parseLabelSelector', () => {
  const labels = { app: 'web', tier: 'frontend', env: 'prod', n: '5' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=db', false],
    ['tier in (frontend,backend)', true],
    ['tier notin (frontend)', false],
    ['missing notin (x)', true],
    ['missing!=x', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app=web,env=prod', true],
    ['app=web,env=dev', false],
    ['n>3', true],
    ['n<3', false],
    ['  app = web , tier in ( frontend ) ', true],
    ['app in (web),!missing,env', true],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('prints the canonical form, sorted by key with sorted values', () => {
    const s = parseLabelSelector('tier in (z,a),app=web,!gone,env,f notin (y,x),n>3');
    // Sorted by key: `!gone` sorts as `gone`.
    expect(selectorToString(s)).toBe('app=web,env,f notin (x,y),!gone,n>3,tier in (a,z)');
  });

  it.each([
    ['app=', { app: '' }, true],
    ['app in ()', { app: '' }, true],
    ['in=in', { in: 'in' }, true],
  ])('edge %j', (selector, ls, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), ls)).toBe(expected);
  });

  it.each([
    ['app=web=x', "found '=', expected: ',' or 'end of string'"],
    ['app in web', "unable to parse requirement: found 'web' expected: '('"],
    ['app in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['=web', "found '=', expected: !, identifier, or 'end of string'"],
    ['app,', "found '', expected: identifier after ','"],
    ['a b', "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['n>x', "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    [
      '-x=y',
      'unable to parse requirement: invalid label key "-x": name part must consist of alphanumeric characters',
    ],
    [
      'x=-y',
      'unable to parse requirement: invalid label value: "-y": at key: "x": a valid label must be an empty string',
    ],
  ])('%j fails: %s', (selector, message) => {
    expect(() => parseLabelSelector(selector)).toThrow(message);
  });
});

describe('metav1.LabelSelector objects', () => {
  it('converts matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['frontend', 'cache'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'env', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['b'] },
      ],
    });
    expect(selectorToString(sel)).toBe('app=web,env,!legacy,tier in (cache,frontend),zone notin (b)');
    expect(matchesLabels(sel, { app: 'web', tier: 'cache', env: 'x', zone: 'a' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', tier: 'cache', env: 'x', legacy: 'y' })).toBe(false);
  });

  it('nil matches nothing, empty matches everything', () => {
    expect(matchesLabels(labelSelectorFromObject(undefined), { a: 'b' })).toBe(false);
    expect(matchesLabels(labelSelectorFromObject({}), { a: 'b' })).toBe(true);
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchLabels: { app: 'x' } })).toBe('app=x');
  });

  it('rejects unknown operators', () => {
    expect(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
    ).toThrow('"Gt" is not a valid label selector operator');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).toBe('<error>');
  });

  it('formats label maps sorted', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
  });
});

describe('field selectors', () => {
  const fields: Record<string, string> = {
    'spec.nodeName': 'node-1',
    'status.phase': 'Running',
    odd: 'a,b=c',
  };
  const get = (f: string) => fields[f];

  it.each([
    ['spec.nodeName=node-1', true],
    ['spec.nodeName==node-1', true],
    ['spec.nodeName!=node-1', false],
    ['spec.nodeName=node-1,status.phase!=Pending', true],
    ['spec.nodeName=', false],
    ['missing=', true],
    ['odd=a\\,b\\=c', true],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector), get)).toBe(expected);
  });

  it('parses into terms and prints them back escaped', () => {
    const s = parseFieldSelector('a==b,c!=d');
    expect(s.requirements).toEqual([
      { field: 'a', operator: '=', value: 'b' },
      { field: 'c', operator: '!=', value: 'd' },
    ]);
    expect(fieldSelectorToString(parseFieldSelector('odd=a\\,b'))).toBe('odd=a\\,b');
  });

  it.each([
    ['nonsense', "invalid selector: 'nonsense'; can't understand 'nonsense'"],
    ['a=b=c', "unescaped '='"],
  ])('%j fails: %s', (selector, message) => {
    expect(() => parseFieldSelector(selector)).toThrow(message);
  });
});
