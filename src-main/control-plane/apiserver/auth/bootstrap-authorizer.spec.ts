import { describe, expect, it } from 'vitest';
import type { RequestAttributes } from './authorizer';
import { createAuthorizer, DEFAULT_RULES } from './authorizer';
import { createBootstrapperRule } from './bootstrap-authorizer';
import type { UserInfo } from './user';

const token: UserInfo = {
  name: 'system:bootstrap:abcdef',
  groups: ['system:bootstrappers', 'system:authenticated'],
};
const csrs: Record<string, { spec: { username: string } }> = {
  mine: { spec: { username: 'system:bootstrap:abcdef' } },
  theirs: { spec: { username: 'system:bootstrap:zzzzzz' } },
};
const authorize = createAuthorizer([...DEFAULT_RULES, createBootstrapperRule({ getCsr: (n) => csrs[n] })]);
const csr = (verb: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
  verb,
  group: 'certificates.k8s.io',
  resource: 'certificatesigningrequests',
  ...extra,
});

describe('bootstrapper authorization', () => {
  it('may create CSRs and get or watch its own (or a name not created yet)', () => {
    expect(authorize(token, csr('create')).allowed).toBe(true);
    expect(authorize(token, csr('get', { name: 'mine' })).allowed).toBe(true);
    expect(authorize(token, csr('watch', { name: 'mine' })).allowed).toBe(true);
    expect(authorize(token, csr('watch', { name: 'not-yet' })).allowed).toBe(true);
  });

  it("may not read another token's CSR, list them all, or change any", () => {
    expect(authorize(token, csr('get', { name: 'theirs' }))).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('not requested by this token'),
    });
    expect(authorize(token, csr('list')).allowed).toBe(false);
    expect(authorize(token, csr('watch')).allowed).toBe(false);
    for (const verb of ['update', 'patch', 'delete', 'deletecollection'])
      expect(authorize(token, csr(verb, { name: 'mine' })).allowed).toBe(false);
    expect(authorize(token, csr('update', { name: 'mine', subresource: 'approval' })).allowed).toBe(false);
    expect(authorize(token, csr('update', { name: 'mine', subresource: 'status' })).allowed).toBe(false);
  });

  it('may do nothing else, but still read discovery', () => {
    for (const attrs of [
      { verb: 'list', group: '', resource: 'secrets', namespace: 'kube-system' },
      { verb: 'get', group: '', resource: 'nodes', name: 'n1' },
      { verb: 'create', group: '', resource: 'nodes' },
      { verb: 'create', group: '', resource: 'pods', namespace: 'default' },
    ])
      expect(authorize(token, attrs).allowed).toBe(false);
    expect(authorize(token, { verb: 'get', path: '/apis' }).allowed).toBe(true);
  });

  it('has no opinion on other users', () => {
    const rule = createBootstrapperRule({ getCsr: () => undefined });
    expect(rule({ name: 'system:node:n1', groups: ['system:nodes'] }, csr('create'))).toBeUndefined();
  });
});
