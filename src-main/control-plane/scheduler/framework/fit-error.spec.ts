import { describe, expect, it } from 'vitest';
import { fitErrorMessage, histogram } from './fit-error';
import { unresolvable, unschedulable } from './status';

describe('fitErrorMessage', () => {
  it('counts reasons over nodes and sorts "<count> <reason>" as strings, like kube-scheduler', () => {
    const statuses = new Map([
      ['cp', unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }')],
      ['n1', unschedulable('Insufficient cpu')],
      ['n2', unschedulable('Insufficient cpu')],
    ]);
    expect(
      fitErrorMessage({
        numAllNodes: 3,
        nodeStatuses: statuses,
        postFilterMessage:
          'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
      }),
    ).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
  });

  it('lists every reason of a node (cpu and memory both short)', () => {
    const statuses = new Map([['n1', unschedulable('Insufficient cpu', 'Insufficient memory')]]);
    expect(fitErrorMessage({ numAllNodes: 1, nodeStatuses: statuses })).toBe(
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
    );
  });

  it('says only the pre-filter reason when a pre-filter rejected the pod', () => {
    expect(
      fitErrorMessage({
        numAllNodes: 2,
        preFilterMessage: 'pod has unbound immediate PersistentVolumeClaims',
        nodeStatuses: new Map(),
      }),
    ).toBe('0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  });

  it('sorts counts as strings (10 before 2), as Go sort.Strings does', () => {
    expect(histogram([...Array(10).fill('b'), 'a', 'a'])).toBe('10 b, 2 a');
  });
});

describe('fitErrorMessage without nodes', () => {
  it('says there are no nodes, as Kubernetes does', () => {
    expect(fitErrorMessage({ numAllNodes: 0, nodeStatuses: new Map() })).toBe(
      'no nodes available to schedule pods',
    );
  });
});
