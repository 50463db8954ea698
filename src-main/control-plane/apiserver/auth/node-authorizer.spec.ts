import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { createAuthorizer, DEFAULT_RULES } from './authorizer';
import type { RequestAttributes } from './authorizer';
import {
  admitNodeWrite,
  createNodeAuthorizerRule,
  nodeNameOf,
  requestUser,
  withNodeRestriction,
} from './node-authorizer';
import type { BoundPod } from './node-authorizer';
import type { UserInfo } from './user';

const w1: UserInfo = { name: 'system:node:w1', groups: ['system:nodes', 'system:authenticated'] };
const alice: UserInfo = { name: 'alice', groups: ['system:authenticated'] };
const admin: UserInfo = { name: 'flotilla-admin', groups: ['system:masters', 'system:authenticated'] };

const pods: Record<string, BoundPod> = {
  'default/mine': { spec: { nodeName: 'w1' } },
  'default/theirs': { spec: { nodeName: 'w2' } },
  'default/pending': { spec: {} },
};
const authorize = createAuthorizer([
  ...DEFAULT_RULES,
  createNodeAuthorizerRule({ getPod: (ns, name) => pods[`${ns}/${name}`] }),
]);

const can = (user: UserInfo, attrs: RequestAttributes) => authorize(user, attrs).allowed;
const core = (verb: string, resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
  verb,
  group: '',
  resource,
  ...extra,
});

describe('node authorizer', () => {
  it('recognises node identities only with the system:nodes group and the system:node: prefix', () => {
    expect(nodeNameOf(w1)).toBe('w1');
    expect(nodeNameOf({ name: 'system:node:w1', groups: [] })).toBeUndefined();
    expect(nodeNameOf({ name: 'w1', groups: ['system:nodes'] })).toBeUndefined();
    const odd = authorize({ name: 'bob', groups: ['system:nodes'] }, core('get', 'pods', { namespace: 'x' }));
    expect(odd).toEqual({ allowed: false, reason: expect.stringContaining('not named system:node:NAME') });
  });

  it('lets a node read what the agent needs, cluster-wide', () => {
    for (const resource of [
      'nodes',
      'pods',
      'services',
      'endpoints',
      'configmaps',
      'secrets',
      'namespaces',
    ]) {
      for (const verb of ['get', 'list', 'watch'])
        expect(can(w1, core(verb, resource)), `${verb} ${resource}`).toBe(true);
    }
    expect(can(w1, { verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' })).toBe(true);
    expect(can(w1, { verb: 'get', path: '/api' })).toBe(true);
  });

  it('lets a node write its own Node (and status) but never another node', () => {
    expect(can(w1, core('create', 'nodes'))).toBe(true); // name checked at admission
    for (const verb of ['update', 'patch']) {
      expect(can(w1, core(verb, 'nodes', { name: 'w1' }))).toBe(true);
      expect(can(w1, core(verb, 'nodes', { name: 'w1', subresource: 'status' }))).toBe(true);
      const other = authorize(w1, core(verb, 'nodes', { name: 'w2', subresource: 'status' }));
      expect(other.allowed).toBe(false);
      expect(other.reason).toContain('only modify its own Node');
    }
    expect(can(w1, core('delete', 'nodes', { name: 'w1' }))).toBe(true);
    expect(can(w1, core('delete', 'nodes', { name: 'w2' }))).toBe(false);
    expect(can(w1, core('deletecollection', 'nodes'))).toBe(false);
    expect(can(w1, core('get', 'nodes', { name: 'w1', subresource: 'proxy' }))).toBe(false);
  });

  it('lets a node use only its own Lease in kube-node-lease', () => {
    const lease = (verb: string, extra: Partial<RequestAttributes>): RequestAttributes => ({
      verb,
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'kube-node-lease',
      ...extra,
    });
    expect(can(w1, lease('create', {}))).toBe(true);
    expect(can(w1, lease('get', { name: 'w1' }))).toBe(true);
    expect(can(w1, lease('update', { name: 'w1' }))).toBe(true);
    expect(can(w1, lease('update', { name: 'w2' }))).toBe(false);
    expect(can(w1, lease('list', {}))).toBe(false);
    expect(can(w1, lease('get', { name: 'w1', namespace: 'default' }))).toBe(false);
  });

  it('lets a node update the status of and delete only pods bound to it (looked up)', () => {
    const pod = (verb: string, name: string, subresource?: string) =>
      authorize(
        w1,
        core(verb, 'pods', { namespace: 'default', name, ...(subresource ? { subresource } : {}) }),
      );
    expect(pod('patch', 'mine', 'status').allowed).toBe(true);
    expect(pod('update', 'mine', 'status').allowed).toBe(true);
    expect(pod('delete', 'mine').allowed).toBe(true);
    expect(pod('patch', 'theirs', 'status')).toEqual({
      allowed: false,
      reason: expect.stringContaining('bound to "w2"'),
    });
    expect(pod('delete', 'pending').reason).toContain('not bound to a node');
    expect(pod('delete', 'ghost').reason).toContain('no pod "default/ghost"');
    // Not the pod's spec, not other subresources, no creating pods.
    expect(pod('update', 'mine').allowed).toBe(false);
    expect(pod('patch', 'mine').allowed).toBe(false);
    expect(pod('create', 'mine', 'exec').allowed).toBe(false);
    expect(pod('get', 'mine', 'log').allowed).toBe(false);
    expect(can(w1, core('create', 'pods', { namespace: 'default' }))).toBe(false);
    expect(can(w1, core('deletecollection', 'pods', { namespace: 'default' }))).toBe(false);
  });

  it('lets a node record Events and nothing else by default, with a reason', () => {
    expect(can(w1, core('create', 'events', { namespace: 'default' }))).toBe(true);
    expect(can(w1, core('patch', 'events', { namespace: 'default', name: 'e' }))).toBe(true);
    expect(can(w1, { verb: 'create', group: 'events.k8s.io', resource: 'events', namespace: 'x' })).toBe(
      true,
    );
    expect(can(w1, core('delete', 'events', { namespace: 'default', name: 'e' }))).toBe(false);
    const d = authorize(w1, { verb: 'create', group: 'apps', resource: 'deployments', namespace: 'default' });
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain('node "w1" may not create deployments');
    expect(can(w1, core('update', 'secrets', { namespace: 'default', name: 's' }))).toBe(false);
    expect(can(w1, core('update', 'configmaps', { namespace: 'default', name: 'c' }))).toBe(false);
  });

  it('has no opinion on other users', () => {
    const rule = createNodeAuthorizerRule({ getPod: () => undefined });
    expect(rule(alice, core('get', 'pods', { namespace: 'x' }))).toBeUndefined();
    expect(can(admin, core('patch', 'nodes', { name: 'w2' }))).toBe(true);
    expect(can(alice, core('get', 'pods', { namespace: 'x' }))).toBe(false);
  });
});

describe('NodeRestriction admission', () => {
  const nodes = { group: '', plural: 'nodes' };
  const leases = { group: 'coordination.k8s.io', plural: 'leases' };

  it('allows a node to create only its own Node and Lease', () => {
    expect(() => admitNodeWrite(w1, nodes, { metadata: { name: 'w1' } })).not.toThrow();
    expect(() => admitNodeWrite(w1, leases, { metadata: { name: 'w1' } })).not.toThrow();
    let err: unknown;
    try {
      admitNodeWrite(w1, nodes, { metadata: { name: 'w2' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(403);
    expect((err as ApiError).message).toContain('not allowed to create a Node named "w2"');
    expect(() => admitNodeWrite(w1, leases, { metadata: { name: 'w2' } })).toThrow(/Lease named "w2"/);
    expect(() => admitNodeWrite(admin, nodes, { metadata: { name: 'anything' } })).not.toThrow();
    expect(() => admitNodeWrite(undefined, nodes, { metadata: { name: 'x' } })).not.toThrow();
  });

  it('wraps existing hooks and reads the user of the request from requestUser', () => {
    const seen: string[] = [];
    const hooks = withNodeRestriction((r) =>
      r.plural === 'nodes' ? { admitCreate: (o) => void seen.push(o.metadata?.name ?? '') } : undefined,
    );
    const nodeResource = {
      group: '',
      version: 'v1',
      kind: 'Node',
      listKind: 'NodeList',
      plural: 'nodes',
      singular: 'node',
      namespaced: false,
    };
    const podResource = { ...nodeResource, kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true };
    expect(hooks(podResource)).toBeUndefined();
    requestUser.run(w1, () => {
      hooks(nodeResource)!.admitCreate!({ metadata: { name: 'w1' } });
      expect(() => hooks(nodeResource)!.admitCreate!({ metadata: { name: 'w9' } })).toThrow(/w9/);
    });
    hooks(nodeResource)!.admitCreate!({ metadata: { name: 'w9' } }); // outside a request: no node user
    expect(seen).toEqual(['w1', 'w9']);
  });
});
