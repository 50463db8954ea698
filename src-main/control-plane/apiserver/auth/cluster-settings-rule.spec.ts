import { describe, expect, it } from 'vitest';
import { createAuthorizer, DEFAULT_RULES } from './authorizer';
import { createPublishedConfigMapRule } from './cluster-settings-rule';
import type { UserInfo } from './user';

const rule = createPublishedConfigMapRule({ namespace: 'kube-system', name: 'flotilla-cluster' });
const authorize = createAuthorizer([...DEFAULT_RULES, rule]);
const jane: UserInfo = { name: 'jane', groups: ['system:authenticated'] };
const anonymous: UserInfo = { name: 'system:anonymous', groups: [] };
const settings = { group: '', resource: 'configmaps', namespace: 'kube-system', name: 'flotilla-cluster' };

describe('published ConfigMap rule', () => {
  it('lets any authenticated user get, list and watch that one ConfigMap', () => {
    for (const verb of ['get', 'list', 'watch'])
      expect(authorize(jane, { verb, ...settings }).allowed, verb).toBe(true);
  });

  it('allows nothing else: writes, other names, other namespaces, a whole list, anonymous users', () => {
    for (const verb of ['create', 'update', 'patch', 'delete'])
      expect(authorize(jane, { verb, ...settings }).allowed, verb).toBe(false);
    expect(authorize(jane, { verb: 'get', ...settings, name: 'kubeadm-config' }).allowed).toBe(false);
    expect(authorize(jane, { verb: 'get', ...settings, namespace: 'default' }).allowed).toBe(false);
    const { name: _name, ...unnamed } = settings;
    expect(authorize(jane, { verb: 'list', ...unnamed }).allowed).toBe(false);
    expect(authorize(jane, { verb: 'get', ...settings, resource: 'secrets' }).allowed).toBe(false);
    expect(authorize(anonymous, { verb: 'get', ...settings }).allowed).toBe(false);
  });
});
