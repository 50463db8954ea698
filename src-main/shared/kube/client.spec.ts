import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources';
import type { ResourceInfo } from '../resources';
import { createKubeApi, encodeQuery } from './client';
import { isKubeApiError, KubeApiError } from './types';
import type { KubeRequest, KubeResponse, Transport } from './types';

const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;

function recording(respond: (req: KubeRequest) => KubeResponse, lines: unknown[] = []) {
  const requests: KubeRequest[] = [];
  const transport: Transport = {
    async request(req) {
      requests.push(req);
      return respond(req);
    },
    async stream(req, onLine) {
      requests.push(req);
      for (const l of lines) onLine(l);
    },
  };
  return { transport, requests };
}

const ok = (body: unknown): KubeResponse => ({ status: 200, headers: {}, body });

describe('createKubeApi', () => {
  it('builds the Kubernetes paths, query and bodies', async () => {
    const { transport, requests } = recording((req) =>
      ok(
        req.method === 'GET' && req.path.endsWith('pods')
          ? { items: null, metadata: { resourceVersion: '7' } }
          : {},
      ),
    );
    const api = createKubeApi(transport);
    const list = await api.list(r('pods'), { namespace: 'ns1', labelSelector: 'app=web', limit: 10 });
    expect(list).toEqual({ items: [], metadata: { resourceVersion: '7' } });
    await api.get(r('deployments'), 'web', 'ns1');
    await api.create(r('replicasets'), { metadata: { generateName: 'web-', namespace: 'ns1' } });
    await api.update(r('nodes'), { metadata: { name: 'n1' } });
    await api.updateStatus(r('deployments'), { metadata: { name: 'web', namespace: 'ns1' } });
    await api.patch(
      r('deployments'),
      'web',
      'ns1',
      [{ op: 'replace', path: '/spec/replicas', value: 2 }],
      'json',
    );
    await api.patch(r('deployments'), 'web', 'ns1', { spec: { replicas: 3 } }, 'merge', 'scale');
    await api.delete(r('pods'), 'p', 'ns1', { propagationPolicy: 'Background' });
    await api.createSubresource(r('pods'), 'p', 'ns1', 'binding', { target: { name: 'n1' } });
    expect(requests.map((q) => `${q.method} ${q.path}${encodeQuery(q.query)}`)).toEqual([
      'GET /api/v1/namespaces/ns1/pods?labelSelector=app%3Dweb&limit=10',
      'GET /apis/apps/v1/namespaces/ns1/deployments/web',
      'POST /apis/apps/v1/namespaces/ns1/replicasets',
      'PUT /api/v1/nodes/n1',
      'PUT /apis/apps/v1/namespaces/ns1/deployments/web/status',
      'PATCH /apis/apps/v1/namespaces/ns1/deployments/web',
      'PATCH /apis/apps/v1/namespaces/ns1/deployments/web/scale',
      'DELETE /api/v1/namespaces/ns1/pods/p',
      'POST /api/v1/namespaces/ns1/pods/p/binding',
    ]);
    expect(requests[2]?.body).toMatchObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    expect(requests[5]?.contentType).toBe('application/json-patch+json');
    expect(requests[6]?.contentType).toBe('application/merge-patch+json');
    expect(requests[7]?.body).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
    });
  });

  it('rejects with a KubeApiError carrying the Status', async () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'NotFound',
      message: 'pods "x" not found',
      code: 404,
    };
    const api = createKubeApi(recording(() => ({ status: 404, headers: {}, body: status })).transport);
    const err = await api.get(r('pods'), 'x', 'default').catch((e: unknown) => e);
    expect(isKubeApiError(err, 404)).toBe(true);
    expect((err as KubeApiError).reason).toBe('NotFound');
    expect((err as KubeApiError).message).toBe('pods "x" not found');
  });

  it('makes a Status up when the server sent none', async () => {
    const api = createKubeApi(
      recording(() => ({ status: 503, headers: {}, body: 'upstream down' })).transport,
    );
    const err = (await api.list(r('pods')).catch((e: unknown) => e)) as KubeApiError;
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.status).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: 'upstream down' });
  });

  it('watches with the watch query and passes events through', async () => {
    const { transport, requests } = recording(
      () => ok({}),
      [{ type: 'ADDED', object: { metadata: { name: 'a' } } }, 'junk'],
    );
    const api = createKubeApi(transport);
    const events: unknown[] = [];
    await api.watch(r('pods'), { resourceVersion: '5', allowWatchBookmarks: true, timeoutSeconds: 30 }, (e) =>
      events.push(e),
    );
    expect(encodeQuery(requests[0]?.query)).toBe(
      '?resourceVersion=5&watch=true&allowWatchBookmarks=true&timeoutSeconds=30',
    );
    expect(events).toEqual([{ type: 'ADDED', object: { metadata: { name: 'a' } } }]);
  });
});
