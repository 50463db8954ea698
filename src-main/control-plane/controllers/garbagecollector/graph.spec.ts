import { describe, expect, it } from 'vitest';
import { identityOf, OwnershipGraph, parseIdentity } from './graph';

const PODS = { group: '', plural: 'pods' };
const obj = (name: string, uid: string, owners: string[] = []) => ({
  metadata: {
    name,
    namespace: 'ns',
    uid,
    ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o, uid: o })),
  },
});

describe('ownership graph', () => {
  it('indexes dependents by owner uid and follows reference changes', () => {
    const g = new OwnershipGraph();
    const id = identityOf(PODS, obj('p', 'u1'));
    expect(parseIdentity(id)).toEqual({ resource: '/pods', namespace: 'ns', name: 'p' });
    g.upsert(id, obj('p', 'u1', ['o1', 'o2']));
    expect(g.dependentsOf('o1')).toEqual([id]);
    expect(g.upsert(id, obj('p', 'u1', ['o2'])).removedOwnerUids).toEqual(['o1']);
    expect(g.dependentsOf('o1')).toEqual([]);
    expect(g.identityOfUid('u1')).toBe(id);
    expect(g.remove(id, obj('p', 'u1', ['o2'])).ownerUids).toEqual(['o2']);
    expect(g.hasDependents('o2')).toBe(false);
    expect(parseIdentity(identityOf({ group: '', plural: 'nodes' }, { metadata: { name: 'n1' } }))).toEqual({
      resource: '/nodes',
      name: 'n1',
    });
  });
});
