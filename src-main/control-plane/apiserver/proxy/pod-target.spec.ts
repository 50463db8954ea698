import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { containerLogProblem, execTarget, logTarget, parseLogOptions } from './pod-target';
import type { PodLike } from './pod-target';
import { subprotocols, upgradeHeaders } from './upgrade';
import { streamingVerb } from './node-proxy';

const running = { running: { startedAt: '2030-01-01T00:00:00Z' } };
function pod(extra: Partial<PodLike['status']> = {}, containers = ['web']): PodLike {
  return {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { nodeName: 'n1', containers: containers.map((name) => ({ name })) },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((name) => ({
        name,
        containerID: `docker://${name}`,
        state: running,
      })),
      ...extra,
    },
  };
}
const q = (s: string) => new URLSearchParams(s);

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('logTarget', () => {
  it('maps kubectl logs options onto the agent path and query, defaulting the only container', () => {
    const t = logTarget(
      pod(),
      q(
        'follow=true&tailLines=10&timestamps=true&sinceSeconds=60&limitBytes=500&insecureSkipTLSVerifyBackend=true',
      ),
    );
    expect(t).toMatchObject({ nodeName: 'n1', container: 'web', path: '/containerLogs/shop/web/web' });
    expect(Object.fromEntries(t!.query)).toEqual({
      follow: 'true',
      tailLines: '10',
      timestamps: 'true',
      sinceSeconds: '60',
      limitBytes: '500',
    });
    const since = logTarget(pod(), q('sinceTime=2030-01-01T00:00:00Z&previous=false'))!;
    expect(Object.fromEntries(since.query)).toEqual({ sinceTime: '2030-01-01T00:00:00Z' });
  });

  it('asks for a container name when the pod has several, listing them as Kubernetes does', () => {
    const two = pod({}, ['a', 'b']);
    const err = apiError(() => logTarget(two, q('')));
    expect(err.code).toBe(400);
    expect(err.message).toBe('a container name must be specified for pod web, choose one of: [a b]');
    two.spec!.initContainers = [{ name: 'init' }];
    expect(apiError(() => logTarget(two, q(''))).message).toBe(
      'a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [init]',
    );
    expect(logTarget(two, q('container=b'))!.path).toBe('/containerLogs/shop/web/b');
    expect(apiError(() => logTarget(two, q('container=zz'))).message).toBe(
      'container zz is not valid for pod web',
    );
  });

  it('answers an empty log for a pod that is not on a node yet', () => {
    const pending = pod();
    delete pending.spec!.nodeName;
    expect(logTarget(pending, q(''))).toBeUndefined();
  });

  it('explains why a container has no log yet, like the kubelet', () => {
    const waiting = pod({
      containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    expect(apiError(() => logTarget(waiting, q(''))).message).toBe(
      'container "web" in pod "web" is waiting to start: ContainerCreating',
    );
    expect(apiError(() => logTarget(pod({ containerStatuses: [] }), q(''))).message).toContain(
      'is waiting to start: ContainerCreating',
    );
    expect(
      containerLogProblem(
        pod({ containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ImagePullBackOff' } } }] }),
        'web',
        false,
      ),
    ).toBe('container "web" in pod "web" is waiting to start: trying and failing to pull image');
    expect(apiError(() => logTarget(pod(), q('previous=true'))).message).toBe(
      'previous terminated container "web" in pod "web" not found',
    );
    const restarted = pod({
      containerStatuses: [
        {
          name: 'web',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { containerID: 'docker://old' } },
        },
      ],
    });
    expect(logTarget(restarted, q('previous=true'))!.query.get('previous')).toBe('true');
    expect(logTarget(restarted, q(''))).toBeDefined(); // the last run's log
  });

  it('validates the options (422 for ranges, 400 for malformed values)', () => {
    expect(apiError(() => parseLogOptions(q('tailLines=-1'))).code).toBe(422);
    expect(apiError(() => parseLogOptions(q('limitBytes=0'))).code).toBe(422);
    const both = apiError(() => parseLogOptions(q('sinceSeconds=5&sinceTime=2030-01-01T00:00:00Z')));
    expect(both.code).toBe(422);
    expect(both.message).toContain('at most one of `sinceTime` or `sinceSeconds` may be specified');
    expect(apiError(() => parseLogOptions(q('tailLines=ten'))).code).toBe(400);
    expect(apiError(() => parseLogOptions(q('sinceTime=yesterday'))).code).toBe(400);
  });
});

describe('execTarget', () => {
  it('maps kubectl exec onto the agent path, dropping stderr with a TTY', () => {
    const t = execTarget(
      pod(),
      q('command=sh&command=-c&command=echo%20hi&stdin=true&stdout=true&stderr=true&tty=true'),
    );
    expect(t.path).toBe('/exec/shop/web/web');
    expect(t.query.getAll('command')).toEqual(['sh', '-c', 'echo hi']);
    expect(t.query.get('stderr')).toBeNull();
    expect(t.query.get('tty')).toBe('true');
  });

  it('refuses what Kubernetes refuses', () => {
    const completed = pod({ phase: 'Succeeded' });
    expect(apiError(() => execTarget(completed, q('command=ls&stdout=true'))).message).toBe(
      'cannot exec into a container in a completed pod; current phase is Succeeded',
    );
    const pending = pod();
    delete pending.spec!.nodeName;
    expect(apiError(() => execTarget(pending, q('command=ls&stdout=true'))).message).toBe(
      'pod web does not have a host assigned',
    );
    expect(apiError(() => execTarget(pod(), q('stdout=true'))).code).toBe(400);
    expect(apiError(() => execTarget(pod(), q('command=ls'))).message).toContain('at least one of stdin');
  });
});

describe('upgrade mapping', () => {
  it('forwards the handshake headers but never the bearer-token subprotocol or credentials', () => {
    const headers = upgradeHeaders({
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        authorization: 'Bearer secret',
        cookie: 'x=y',
        'sec-websocket-key': 'abc==',
        'sec-websocket-version': '13',
        'sec-websocket-protocol':
          'v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.c2VjcmV0, v4.channel.k8s.io',
      },
    });
    expect(headers).toEqual({
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'abc==',
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'v5.channel.k8s.io, v4.channel.k8s.io',
    });
    expect(subprotocols(undefined)).toEqual([]);
  });

  it('authorizes streaming subresources as create, whatever the method', () => {
    const base = { group: '', resource: 'pods' };
    expect(streamingVerb({ ...base, subresource: 'exec', verb: 'get' })).toBe('create');
    expect(streamingVerb({ ...base, subresource: 'attach', verb: 'get' })).toBe('create');
    expect(streamingVerb({ ...base, subresource: 'log', verb: 'get' })).toBe('get');
    expect(streamingVerb({ group: 'apps', resource: 'pods', subresource: 'exec', verb: 'get' })).toBe('get');
  });
});
