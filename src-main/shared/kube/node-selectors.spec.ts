import { describe, expect, it } from 'vitest';
import { nodeSelectorAndAffinityMatch, requiredTermsMatch, termMatches } from './node-selectors';
import type { NodeSelectorRequirement } from './objects';

const node = { name: 'n1', labels: { zone: 'a', cpus: '8', disk: 'ssd' } };
const expr = (r: NodeSelectorRequirement) => termMatches({ matchExpressions: [r] }, node);

describe('node selector and affinity matching', () => {
  it('evaluates each operator against the node labels', () => {
    expect(expr({ key: 'zone', operator: 'In', values: ['a', 'b'] })).toBe(true);
    expect(expr({ key: 'zone', operator: 'In', values: ['b'] })).toBe(false);
    expect(expr({ key: 'zone', operator: 'NotIn', values: ['b'] })).toBe(true);
    expect(expr({ key: 'gpu', operator: 'NotIn', values: ['x'] })).toBe(true);
    expect(expr({ key: 'disk', operator: 'Exists' })).toBe(true);
    expect(expr({ key: 'gpu', operator: 'DoesNotExist' })).toBe(true);
    expect(expr({ key: 'cpus', operator: 'Gt', values: ['4'] })).toBe(true);
    expect(expr({ key: 'cpus', operator: 'Lt', values: ['4'] })).toBe(false);
    expect(expr({ key: 'cpus', operator: 'Lt', values: ['+16'] })).toBe(true);
  });

  it('compares Gt and Lt as integers only, as strconv.ParseInt would', () => {
    expect(expr({ key: 'cpus', operator: 'Gt', values: ['4', '5'] })).toBe(false);
    expect(expr({ key: 'cpus', operator: 'Gt', values: ['4x'] })).toBe(false);
    expect(expr({ key: 'cpus', operator: 'Gt', values: ['1e0'] })).toBe(false);
    expect(
      termMatches(
        { matchExpressions: [{ key: 'v', operator: 'Gt', values: ['1'] }] },
        { name: 'n', labels: { v: '3abc' } },
      ),
    ).toBe(false);
    expect(expr({ key: 'zone', operator: 'Gt', values: ['1'] })).toBe(false);
  });

  it('ANDs requirements within a term, ORs terms, and matches no term without requirements', () => {
    const zoneA = { key: 'zone', operator: 'In' as const, values: ['a'] };
    const noGpu = { key: 'gpu', operator: 'Exists' as const };
    expect(termMatches({ matchExpressions: [zoneA, noGpu] }, node)).toBe(false);
    expect(termMatches({}, node)).toBe(false);
    const required = (terms: { matchExpressions?: NodeSelectorRequirement[] }[]) => ({
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms },
    });
    expect(
      requiredTermsMatch(required([{ matchExpressions: [noGpu] }, { matchExpressions: [zoneA] }]), node),
    ).toBe(true);
    expect(requiredTermsMatch(required([]), node)).toBe(false);
    expect(requiredTermsMatch(undefined, node)).toBe(true);
  });

  it('supports matchFields on metadata.name only, and never finds inherited properties as labels', () => {
    expect(
      termMatches({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, node),
    ).toBe(true);
    expect(
      termMatches({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }, node),
    ).toBe(false);
    expect(termMatches({ matchFields: [{ key: 'spec.unschedulable', operator: 'Exists' }] }, node)).toBe(
      false,
    );
    expect(expr({ key: 'constructor', operator: 'Exists' })).toBe(false);
    expect(nodeSelectorAndAffinityMatch({ nodeSelector: { toString: 'x' } }, node)).toBe(false);
  });

  it('requires both the nodeSelector and the required affinity', () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'disk', operator: 'In' as const, values: ['ssd'] }] },
          ],
        },
      },
    };
    expect(nodeSelectorAndAffinityMatch({ nodeSelector: { zone: 'a' }, affinity }, node)).toBe(true);
    expect(nodeSelectorAndAffinityMatch({ nodeSelector: { zone: 'b' }, affinity }, node)).toBe(false);
    expect(
      nodeSelectorAndAffinityMatch(
        { nodeSelector: { zone: 'a' }, affinity },
        { ...node, labels: { zone: 'a' } },
      ),
    ).toBe(false);
    expect(nodeSelectorAndAffinityMatch({}, node)).toBe(true);
  });
});
