import { describe, expect, it } from 'vitest';
import { parseRequest } from './request-info';

describe('parseRequest', () => {
  it.each([
    ['GET', '/api/v1/pods', { verb: 'list', group: '', version: 'v1', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', namespace: 'default', resource: 'pods' }],
    [
      'GET',
      '/api/v1/namespaces/default/pods/web',
      { verb: 'get', namespace: 'default', resource: 'pods', name: 'web' },
    ],
    ['GET', '/api/v1/namespaces/default/pods?watch=1', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods/web/log', { verb: 'get', name: 'web', subresource: 'log' }],
    [
      'POST',
      '/api/v1/namespaces/default/pods/web/binding',
      { verb: 'create', name: 'web', subresource: 'binding' },
    ],
    ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces' }],
    ['GET', '/api/v1/namespaces/team-a', { verb: 'get', resource: 'namespaces', name: 'team-a' }],
    [
      'PUT',
      '/api/v1/namespaces/team-a/finalize',
      { verb: 'update', resource: 'namespaces', name: 'team-a', subresource: 'finalize' },
    ],
    [
      'PATCH',
      '/api/v1/namespaces/team-a/status',
      { verb: 'patch', resource: 'namespaces', name: 'team-a', subresource: 'status' },
    ],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/x/deployments/web/scale',
      { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' },
    ],
    [
      'DELETE',
      '/apis/apps/v1/namespaces/x/deployments',
      { verb: 'deletecollection', group: 'apps', namespace: 'x' },
    ],
    ['DELETE', '/api/v1/nodes/n1', { verb: 'delete', resource: 'nodes', name: 'n1' }],
  ])('%s %s', (method, url, expected) => {
    const info = parseRequest(method, url);
    expect(info.kind).toBe('resource');
    expect(info).toMatchObject(expected);
  });

  it('keeps non-resource paths apart', () => {
    for (const path of [
      '/version',
      '/api',
      '/apis',
      '/apis/apps',
      '/api/v1',
      '/apis/apps/v1',
      '/openapi/v3/apis/apps/v1',
    ]) {
      expect(parseRequest('GET', path).kind, path).toBe('nonResource');
    }
  });

  it('decodes escaped names', () => {
    const info = parseRequest('GET', '/api/v1/namespaces/default/configmaps/a%2Eb');
    expect(info).toMatchObject({ name: 'a.b' });
  });
});
