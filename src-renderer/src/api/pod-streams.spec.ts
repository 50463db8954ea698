import { describe, expect, it } from 'vitest';
import { isKubeApiError } from '../../../src-main/shared/kube/types';
import { LineSplitter } from '../features/pods/log-lines';
import { logPath, openExecSocket, streamPodLog } from './pod-streams';

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(encoder.encode(chunk));
      c.close();
    },
  });
}

describe('streamPodLog', () => {
  it('asks for the log kubectl would and hands over text as it arrives', async () => {
    const seen: { url: string; auth?: string }[] = [];
    const texts: string[] = [];
    const s = streamPodLog(
      { namespace: 'default', pod: 'web-1', container: 'web', follow: true, tailLines: 500 },
      (t) => texts.push(t),
      {
        token: () => 'tok',
        fetch: async (url, init) => {
          seen.push({ url: String(url), auth: (init?.headers as Record<string, string>).Authorization });
          return new Response(body(['line 1\nli', 'ne 2\n']), { status: 200 });
        },
      },
    );
    await s.done;
    expect(seen).toEqual([
      {
        url: '/api/v1/namespaces/default/pods/web-1/log?container=web&follow=true&tailLines=500',
        auth: 'Bearer tok',
      },
    ]);
    const splitter = new LineSplitter();
    expect(texts.flatMap((t) => splitter.push(t))).toEqual(['line 1', 'line 2']);
    expect(logPath({ namespace: 'a', pod: 'b', container: 'c', follow: false, previous: true })).toBe(
      '/api/v1/namespaces/a/pods/b/log?container=c&previous=true',
    );
  });

  it("rejects with the server's Status (e.g. a waiting container) and ends quietly when stopped", async () => {
    const refused = streamPodLog(
      { namespace: 'd', pod: 'p', container: 'c', follow: true },
      () => undefined,
      {
        token: () => undefined,
        fetch: async () =>
          new Response(
            '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","code":400,"message":"container \\"c\\" in pod \\"p\\" is waiting to start: ContainerCreating"}',
            { status: 400 },
          ),
      },
    );
    const err = await refused.done.catch((e: unknown) => e);
    expect(isKubeApiError(err, 400)).toBe(true);
    expect((err as Error).message).toMatch(/waiting to start/);

    const stopped = streamPodLog(
      { namespace: 'd', pod: 'p', container: 'c', follow: true },
      () => undefined,
      {
        token: () => undefined,
        fetch: (_url, init) =>
          new Promise((_resolve, reject) =>
            init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
          ),
      },
    );
    stopped.stop();
    await expect(stopped.done).resolves.toBeUndefined();
  });
});

describe('openExecSocket', () => {
  it('dials wss on the same host with the channel protocols and the token subprotocol', () => {
    const made: { url: string; protocols: string[] }[] = [];
    class FakeSocket {
      binaryType = 'blob';
      constructor(url: string, protocols: string[]) {
        made.push({ url, protocols });
      }
    }
    const ws = openExecSocket(
      { namespace: 'default', pod: 'web-1', container: 'web' },
      {
        token: () => 'tok',
        WebSocket: FakeSocket as unknown as typeof WebSocket,
        location: { protocol: 'https:', host: '127.0.0.1:6443' } as Location,
      },
    );
    expect(ws.binaryType).toBe('arraybuffer');
    expect(made[0]!.url).toBe(
      'wss://127.0.0.1:6443/api/v1/namespaces/default/pods/web-1/exec?command=sh&container=web&stdin=1&stdout=1&tty=1',
    );
    expect(made[0]!.protocols).toEqual([
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
      'base64url.bearer.authorization.k8s.io.dG9r',
    ]);
  });
});
