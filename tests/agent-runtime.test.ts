// The agent's container side against the real Docker engine: pods as sandboxes + containers on a
// pod network, logs, exec, restarts with backoff, image pull failures, adoption after an agent
// restart, and cleanup. No API server here: pods are handed to the kubelet directly.
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kubelet } from '../src-main/agent/kubelet';
import type { ConfigMap, Pod, PodStatus } from '../src-main/agent/pods/types';
import { DockerRuntime } from '../src-main/agent/runtime/docker-runtime';
import { cidrContains, parseCidr } from '../src-main/agent/runtime/ipam';
import { ensureTestImages, removeNodeLeftovers, requireDocker, TEST_IMAGE, waitFor } from './support/docker';

const { docker, skipReason } = await requireDocker();
const suffix = `${process.pid}`.slice(-4);
const NODE = `itest-node-${process.pid}`;
const NETWORK = `flotilla-itest-${process.pid}`;
const BRIDGE = `flit${suffix}`;
const CIDR = `10.244.${200 + (process.pid % 50)}.0/24`;

function pod(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `${name}-${process.pid}-${Date.now()}` },
    spec: { nodeName: NODE, restartPolicy: 'Always', terminationGracePeriodSeconds: 2, ...spec },
  };
}

async function readAll(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function httpGet(host: string, port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!!skipReason)(
  `agent container runtime on a real dockerd${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let rootDir: string;
    const pods: Pod[] = [];
    const statuses = new Map<string, PodStatus>();
    /** Every waiting state each pod's containers went through, in order (short-lived ones included). */
    const waitings = new Map<string, { reason?: string; message?: string }[]>();
    const configMaps = new Map<string, ConfigMap>();
    let kubelet: Kubelet;
    const events: string[] = [];

    function makeKubelet(): Kubelet {
      const runtime = new DockerRuntime({
        docker: docker!,
        nodeName: NODE,
        podCidr: CIDR,
        networkName: NETWORK,
        bridgeName: BRIDGE,
      });
      return new Kubelet({
        nodeName: NODE,
        hostIP: '127.0.0.1',
        runtime,
        rootDir,
        pods: () => pods,
        lookup: { configMap: (_ns, name) => configMaps.get(name), secret: () => undefined },
        recorder: {
          event: (obj, type, reason, message) =>
            void events.push(`${obj.metadata?.name} ${type} ${reason}: ${message}`),
        },
        onStatus: (p, s) => {
          const name = p.metadata.name ?? '';
          statuses.set(name, s);
          for (const cs of s.containerStatuses ?? []) {
            if (cs.state.waiting) waitings.set(name, [...(waitings.get(name) ?? []), cs.state.waiting]);
          }
        },
        resyncIntervalMs: 500,
        backoff: { initialMs: 1_000, maxMs: 4_000 },
        log: (message) => void (process.env.FLOTILLA_TEST_LOG === 'debug' && console.error(message)),
      });
    }

    const status = (name: string) => statuses.get(name);
    const containerStatus = (podName: string, container: string) =>
      status(podName)?.containerStatuses?.find((c) => c.name === container);

    beforeAll(async () => {
      await removeNodeLeftovers(docker!, NODE, NETWORK);
      await ensureTestImages();
      rootDir = await mkdtemp(join(tmpdir(), 'flotilla-agent-it-'));
      kubelet = makeKubelet();
      await kubelet.start();
    });

    afterAll(async () => {
      kubelet?.stop();
      if (docker) await removeNodeLeftovers(docker, NODE, NETWORK);
      if (rootDir) await rm(rootDir, { recursive: true, force: true });
    });

    it('runs a two-container pod whose containers share localhost and the pod IP', async () => {
      const hostPort = await freePort();
      configMaps.set('site', { metadata: { name: 'site' }, data: { 'index.html': 'version one\n' } });
      pods.push(
        pod('duo', {
          volumes: [{ name: 'site', configMap: { name: 'site' } }],
          containers: [
            {
              name: 'server',
              image: TEST_IMAGE,
              command: ['httpd', '-f', '-p', '8080', '-h', '/site'],
              ports: [{ containerPort: 8080, hostPort, hostIP: '127.0.0.1' }],
              volumeMounts: [{ name: 'site', mountPath: '/site' }],
              readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
            },
            {
              name: 'client',
              image: TEST_IMAGE,
              env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
              command: [
                'sh',
                '-c',
                'echo "my ip is $MY_IP"; until printf "GET /index.html HTTP/1.0\\r\\n\\r\\n" | nc -w 2 127.0.0.1 8080 > /tmp/out; do sleep 0.2; done; cat /tmp/out; exec sleep 3600',
              ],
            },
          ],
        }),
      );
      kubelet.podsChanged();
      const s = await waitFor('duo Running and Ready', () => {
        const st = status('duo');
        return (
          st?.phase === 'Running' && st.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && st
        );
      });
      expect(s.podIP && cidrContains(parseCidr(CIDR), s.podIP)).toBe(true);
      expect(s.podIPs).toEqual([{ ip: s.podIP }]);

      // The client reached the server on 127.0.0.1: they share the network namespace.
      const clientLogs = await waitFor('client output', async () => {
        const text = await readAll(await kubelet.logs('default', 'duo', 'client', {}));
        return text.includes('version one') && text;
      });
      expect(clientLogs).toContain(`my ip is ${s.podIP}`);

      // The pod IP is reachable from the node, and the hostPort is published on the node.
      expect(await httpGet(s.podIP!, 8080, '/index.html')).toBe('version one\n');
      expect(await httpGet('127.0.0.1', hostPort, '/index.html')).toBe('version one\n');

      // Both containers see the same interface address.
      const ipOf = async (container: string) => {
        const session = await kubelet.exec('default', 'duo', container, {
          command: ['ip', '-4', '-o', 'addr', 'show', 'eth0'],
        });
        const [out, code] = await Promise.all([readAll(session.stdout), session.exitCode()]);
        expect(code).toBe(0);
        return out;
      };
      expect(await ipOf('server')).toContain(`${s.podIP}/`);
      expect(await ipOf('client')).toContain(`${s.podIP}/`);

      // The ConfigMap volume follows the ConfigMap without a restart.
      configMaps.set('site', { metadata: { name: 'site' }, data: { 'index.html': 'version two\n' } });
      await kubelet.syncNow();
      expect(
        await waitFor(
          'new content',
          async () => (await httpGet(s.podIP!, 8080, '/index.html')) === 'version two\n',
        ),
      ).toBe(true);
      expect(containerStatus('duo', 'server')?.restartCount).toBe(0);
    });

    it('execs with stdin, without and with a TTY, and reports exit codes', async () => {
      const withStdin = await kubelet.exec('default', 'duo', 'client', {
        command: ['sh', '-c', 'cat; echo err >&2; exit 7'],
        stdin: true,
      });
      withStdin.stdin.end('hello through stdin\n');
      const [out, err, code] = await Promise.all([
        readAll(withStdin.stdout),
        readAll(withStdin.stderr),
        withStdin.exitCode(),
      ]);
      expect(out).toBe('hello through stdin\n');
      expect(err).toBe('err\n');
      expect(code).toBe(7);

      const tty = await kubelet.exec('default', 'duo', 'client', {
        command: ['sh', '-c', 'tty; hostname'],
        tty: true,
      });
      const ttyOut = await readAll(tty.stdout);
      expect(ttyOut).toMatch(/\/dev\/pts\/\d+/);
      expect(ttyOut).toContain('duo');
      expect(await tty.exitCode()).toBe(0);
    });

    it('serves logs with tail, timestamps, since and follow', async () => {
      pods.push(
        pod('talker', {
          containers: [
            {
              name: 'app',
              image: TEST_IMAGE,
              command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; done; exec sleep 3600'],
            },
          ],
        }),
      );
      kubelet.podsChanged();
      await waitFor('talker running', () => status('talker')?.phase === 'Running');
      const all = await waitFor('five lines', async () => {
        const text = await readAll(await kubelet.logs('default', 'talker', 'app', {}));
        return text.includes('line 5') && text;
      });
      expect(all).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
      expect(await readAll(await kubelet.logs('default', 'talker', 'app', { tailLines: 2 }))).toBe(
        'line 4\nline 5\n',
      );
      expect(
        await readAll(await kubelet.logs('default', 'talker', undefined, { tailLines: 1, timestamps: true })),
      ).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 5\n$/);
      expect(
        await readAll(
          await kubelet.logs('default', 'talker', 'app', {
            sinceUnixSeconds: Math.floor(Date.now() / 1000) + 60,
          }),
        ),
      ).toBe('');

      const follow = await kubelet.logs('default', 'talker', 'app', { follow: true, tailLines: 1 });
      let followed = '';
      follow.on('data', (d: Buffer) => (followed += d.toString()));
      await waitFor('the last line', () => followed === 'line 5\n');
      const session = await kubelet.exec('default', 'talker', 'app', {
        command: ['sh', '-c', 'echo appended > /proc/1/fd/1'],
      });
      expect(await session.exitCode()).toBe(0);
      await waitFor('a line written after the follow began', () => followed === 'line 5\nappended\n');
      follow.destroy();

      const stats = await kubelet.stats();
      const talker = stats.find((s) => s.pod === 'talker');
      expect(talker?.stats.memoryUsageBytes).toBeGreaterThan(0);
    });

    it('restarts a container that exits non-zero, with CrashLoopBackOff in between', async () => {
      pods.push(
        pod('crasher', {
          containers: [{ name: 'app', image: TEST_IMAGE, command: ['sh', '-c', 'echo attempt; exit 3'] }],
        }),
      );
      kubelet.podsChanged();
      await waitFor(
        'restartCount ≥ 2 having shown CrashLoopBackOff',
        () =>
          (containerStatus('crasher', 'app')?.restartCount ?? 0) >= 2 &&
          waitings.get('crasher')?.some((w) => w.reason === 'CrashLoopBackOff'),
        30_000,
      );
      const cs = containerStatus('crasher', 'app')!;
      expect(cs.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      expect(status('crasher')?.phase).toBe('Running');
      expect(events.some((e) => e.startsWith('crasher Warning BackOff:'))).toBe(true);
      expect(await readAll(await kubelet.logs('default', 'crasher', 'app', { previous: true }))).toBe(
        'attempt\n',
      );
    });

    it('restarts a container whose exec liveness probe fails', async () => {
      pods.push(
        pod('sickly', {
          containers: [
            {
              name: 'app',
              image: TEST_IMAGE,
              command: ['sh', '-c', 'touch /tmp/healthy; sleep 1; rm /tmp/healthy; exec sleep 3600'],
              livenessProbe: {
                exec: { command: ['cat', '/tmp/healthy'] },
                periodSeconds: 1,
                failureThreshold: 1,
              },
            },
          ],
        }),
      );
      kubelet.podsChanged();
      await waitFor(
        'a restart after the liveness probe failed',
        () => (containerStatus('sickly', 'app')?.restartCount ?? 0) >= 1,
        30_000,
      );
      expect(events.some((e) => e.startsWith('sickly Warning Unhealthy: Liveness probe failed'))).toBe(true);
      expect(containerStatus('sickly', 'app')?.lastState.terminated?.exitCode).toBe(137);
    });

    it('reports ErrImagePull, then ImagePullBackOff, for an image no registry has — quickly and clearly', async () => {
      const started = Date.now();
      pods.push(pod('ghost', { containers: [{ name: 'app', image: 'flotilla.test/does-not-exist:1' }] }));
      kubelet.podsChanged();
      const pullError = await waitFor('ErrImagePull', () =>
        waitings.get('ghost')?.find((w) => w.reason === 'ErrImagePull'),
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(pullError.message).toMatch(/^failed to pull image "flotilla\.test\/does-not-exist:1": /);
      const backoff = await waitFor('ImagePullBackOff', () =>
        waitings.get('ghost')?.find((w) => w.reason === 'ImagePullBackOff'),
      );
      expect(backoff.message).toBe('Back-off pulling image "flotilla.test/does-not-exist:1"');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(status('ghost')?.phase).toBe('Pending');
    });

    it('adopts running containers after an agent restart without restarting them', async () => {
      const running = async () =>
        (
          await docker!.listContainers({
            filters: { label: [`dev.flotilla.node=${NODE}`], status: ['running'] },
          })
        )
          .filter((c) => c.Labels['dev.flotilla.pod.name'] === 'duo')
          .map((c) => c.Id)
          .sort();
      const before = await running();
      expect(before).toHaveLength(3); // sandbox + 2 containers
      const ipBefore = status('duo')?.podIP;
      kubelet.stop();
      statuses.clear();

      kubelet = makeKubelet();
      await kubelet.start();
      await kubelet.syncNow();
      expect(await running()).toEqual(before);
      expect(status('duo')?.podIP).toBe(ipBefore);
      expect(containerStatus('duo', 'server')?.restartCount).toBe(0);
      expect(status('duo')?.phase).toBe('Running');
    });

    it('stops a deleted pod gracefully and removes everything of pods that are gone', async () => {
      const duo = pods.find((p) => p.metadata.name === 'duo')!;
      duo.metadata.deletionTimestamp = new Date().toISOString();
      duo.metadata.deletionGracePeriodSeconds = 1;
      await kubelet.syncNow();
      expect(status('duo')?.containerStatuses?.every((c) => c.state.terminated)).toBe(true);

      pods.length = 0;
      await kubelet.syncNow();
      const left = await docker!.listContainers({
        all: true,
        filters: { label: [`dev.flotilla.node=${NODE}`] },
      });
      expect(left).toEqual([]);
      await kubelet.teardown();
      const networks = await docker!.listNetworks({ filters: { name: [NETWORK] } });
      expect(networks.filter((n) => n.Name === NETWORK)).toEqual([]);
    });
  },
);
