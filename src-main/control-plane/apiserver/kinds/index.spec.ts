import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../shared/resources';
import { ALL_STRATEGIES, findStrategy, STRATEGIES, strategyFor, UnknownResourceError } from './index';
import { NOW } from './testing';

describe('strategy registry', () => {
  it('has exactly one strategy for every served resource', () => {
    for (const r of RESOURCES) expect(strategyFor(r).resource).toBe(r);
    expect(STRATEGIES).toHaveLength(RESOURCES.length);
    expect(new Set(STRATEGIES.map((s) => s.resource)).size).toBe(RESOURCES.length);
  });

  it('looks up by group, version and plural', () => {
    expect(strategyFor('apps', 'v1', 'deployments').resource.kind).toBe('Deployment');
    expect(strategyFor('', 'v1', 'events').resource.group).toBe('');
    expect(findStrategy('apps', 'v1', 'statefulsets')).toBeUndefined();
    expect(() => strategyFor('apps', 'v1', 'statefulsets')).toThrow(UnknownResourceError);
  });

  it.each(
    ALL_STRATEGIES.map(
      (s) => [s.resource.kind + (s.resource.group ? `.${s.resource.group}` : ''), s] as const,
    ),
  )(
    '%s: a row has one cell per column, even for an empty object, and defaults are idempotent',
    (_name, s) => {
      const obj = { metadata: { name: 'x', namespace: 'default', creationTimestamp: NOW.toISOString() } };
      s.defaults?.(obj);
      const once = JSON.stringify(obj);
      s.defaults?.(obj);
      expect(JSON.stringify(obj)).toBe(once);
      expect(s.row(obj, NOW)).toHaveLength(s.columns.length);
      for (const get of Object.values(s.fieldSelectors ?? {})) expect(typeof (get(obj) ?? '')).toBe('string');
    },
  );
});
