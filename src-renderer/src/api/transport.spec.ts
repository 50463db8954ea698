import { describe, expect, it } from 'vitest';
import { isKubeApiError } from '../../../src-main/shared/kube/types';
import { buildUrl, createFetchTransport } from './transport';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

describe('createFetchTransport', () => {
  it('sends the bearer token and query, and parses JSON answers of any status', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const transport = createFetchTransport({
      token: () => 'fl-session-abc',
      fetch: async (url, init) => {
        seen.push({ url: String(url), init: init! });
        return new Response(
          '{"kind":"Status","code":404,"status":"Failure","apiVersion":"v1","metadata":{}}',
          { status: 404 },
        );
      },
    });
    const res = await transport.request({
      method: 'GET',
      path: '/api/v1/pods',
      query: { limit: 5, continue: undefined },
    });
    expect(res.status).toBe(404);
    expect((res.body as { code: number }).code).toBe(404);
    expect(seen[0]!.url).toBe('/api/v1/pods?limit=5');
    expect((seen[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer fl-session-abc');
  });

  it('streams watch events line by line, however the bytes are chunked', async () => {
    const transport = createFetchTransport({
      token: () => undefined,
      fetch: async () =>
        new Response(
          streamOf([
            '{"type":"ADDED","object":{"a":1}}\n{"type":"MOD',
            'IFIED","object":{"a":2}}\n',
            '{"type":"DELETED","object":{}}',
          ]),
          {
            status: 200,
          },
        ),
    });
    const lines: unknown[] = [];
    await transport.stream({ method: 'GET', path: '/api/v1/pods', query: { watch: 1 } }, (l) =>
      lines.push(l),
    );
    expect(lines.map((l) => (l as { type: string }).type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('rejects a refused stream with the Status as a KubeApiError, and reports 401s', async () => {
    let unauthorized = 0;
    const transport = createFetchTransport({
      token: () => 'old',
      onUnauthorized: () => unauthorized++,
      fetch: async () =>
        new Response(
          '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","code":401,"reason":"Unauthorized","message":"no"}',
          {
            status: 401,
          },
        ),
    });
    const err = await transport
      .stream({ method: 'GET', path: '/api/v1/pods' }, () => undefined)
      .catch((e: unknown) => e);
    expect(isKubeApiError(err, 401)).toBe(true);
    expect(unauthorized).toBe(1);
  });

  it('treats an aborted watch as an ordinary end', async () => {
    const controller = new AbortController();
    const transport = createFetchTransport({
      token: () => undefined,
      fetch: async (_url, init) => {
        controller.abort();
        init!.signal!.throwIfAborted();
        return new Response('');
      },
    });
    await expect(
      transport.stream({ method: 'GET', path: '/x', signal: controller.signal }, () => undefined),
    ).resolves.toBeUndefined();
  });

  it('builds URLs against a base', () => {
    expect(buildUrl('https://h:1', { path: '/version' })).toBe('https://h:1/version');
  });
});
