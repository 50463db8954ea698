import { describe, expect, it } from 'vitest';
import type { AuthorizerRule } from './authorizer';
import { authorize, createAuthorizer, DEFAULT_RULES } from './authorizer';
import { forbiddenStatus, unauthorizedStatus } from './status';
import type { UserInfo } from './user';

const admin: UserInfo = { name: 'flotilla-admin', groups: ['system:masters', 'system:authenticated'] };
const node: UserInfo = { name: 'system:node:w1', groups: ['system:nodes', 'system:authenticated'] };
const listPods = { verb: 'list', group: '', resource: 'pods', namespace: 'default' };

describe('authorize', () => {
  it('lets system:masters do anything', () => {
    expect(authorize(admin, listPods).allowed).toBe(true);
    expect(
      authorize(admin, {
        verb: 'delete',
        group: 'apps',
        resource: 'deployments',
        namespace: 'x',
        name: 'web',
      }).allowed,
    ).toBe(true);
    expect(authorize(admin, { verb: 'get', path: '/metrics' }).allowed).toBe(true);
  });

  it('denies everyone else resource requests, with a reason', () => {
    const decision = authorize(node, { verb: 'get', group: '', resource: 'nodes', name: 'w1' });
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain('system:node:w1');
    expect(authorize({ name: 'x', groups: [] }, listPods).allowed).toBe(false);
  });

  it('lets authenticated users read discovery and /version, but not other paths or writes', () => {
    for (const p of ['/api', '/apis', '/apis/apps/v1', '/version', '/healthz', '/openapi/v3']) {
      expect(authorize(node, { verb: 'get', group: '', resource: '', path: p }).allowed, p).toBe(true);
    }
    expect(authorize(node, { verb: 'get', path: '/metrics' }).allowed).toBe(false);
    expect(authorize(node, { verb: 'post', path: '/api' }).allowed).toBe(false);
    expect(authorize({ name: 'anon', groups: [] }, { verb: 'get', path: '/version' }).allowed).toBe(false);
  });

  it('asks rules in order; a rule with no opinion passes to the next; the first decision wins', () => {
    const calls: string[] = [];
    const noOpinion: AuthorizerRule = () => {
      calls.push('none');
      return undefined;
    };
    const nodeRule: AuthorizerRule = (user, attrs) => {
      calls.push('node');
      return user.name === 'system:node:w1' && attrs.resource === 'nodes'
        ? { allowed: true, reason: 'own node' }
        : undefined;
    };
    const authz = createAuthorizer([noOpinion, ...DEFAULT_RULES, nodeRule]);
    expect(authz(node, { verb: 'get', group: '', resource: 'nodes', name: 'w1' })).toEqual({
      allowed: true,
      reason: 'own node',
    });
    expect(calls).toEqual(['none', 'node']);
    expect(authz(node, listPods).allowed).toBe(false);
  });
});

describe('Status bodies', () => {
  it('401 is the Kubernetes Unauthorized Status', () => {
    expect(unauthorizedStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('403 words the message like kube-apiserver', () => {
    expect(forbiddenStatus('bob', listPods).message).toBe(
      'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    const named = forbiddenStatus(
      'bob',
      {
        verb: 'get',
        group: 'apps',
        resource: 'deployments',
        subresource: 'scale',
        namespace: 'ns',
        name: 'web',
      },
      'no rule',
    );
    expect(named.message).toBe(
      'deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments/scale" in API group "apps" in the namespace "ns": no rule',
    );
    expect(named.details).toEqual({ name: 'web', group: 'apps', kind: 'deployments' });
    expect(named.code).toBe(403);
    expect(forbiddenStatus('bob', { verb: 'list', group: '', resource: 'nodes' }).message).toBe(
      'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect(forbiddenStatus('bob', { verb: 'get', path: '/metrics' }).message).toBe(
      'forbidden: User "bob" cannot get path "/metrics"',
    );
  });
});
