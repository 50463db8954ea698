import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { Kubelet } from '../kubelet';
import { FakeRuntime } from '../runtime/fake-runtime';
import type { ProbeRunner } from './probes';
import { makePod } from './testing';
import type { ConfigMap, Pod, PodStatus } from './types';

const IMAGE = 'flotilla.test/busybox:1';

interface Harness {
  clock: ManualClock;
  runtime: FakeRuntime;
  kubelet: Kubelet;
  pods: Pod[];
  statuses: Map<string, PodStatus>;
  terminated: string[];
  events: string[];
  configMaps: Map<string, ConfigMap>;
  probeOutcome: Map<string, boolean>;
  sync(): Promise<void>;
  advance(ms: number): Promise<void>;
  status(name: string): PodStatus;
}

let rootDir: string;

beforeEach(async () => {
  rootDir = await mkdtemp(join(tmpdir(), 'flotilla-agent-'));
});
afterEach(async () => {
  await rm(rootDir, { recursive: true, force: true });
});

function harness(runtime?: FakeRuntime, clock = new ManualClock()): Harness {
  const rt = runtime ?? new FakeRuntime(clock);
  rt.images.add(IMAGE);
  const h = {
    clock,
    runtime: rt,
    pods: [] as Pod[],
    statuses: new Map<string, PodStatus>(),
    terminated: [] as string[],
    events: [] as string[],
    configMaps: new Map<string, ConfigMap>(),
    probeOutcome: new Map<string, boolean>(),
  } as Harness;
  const probeRunner: ProbeRunner = async (probe, target) => {
    const key = `${target.container.name}/${probe === target.container.livenessProbe ? 'liveness' : probe === target.container.readinessProbe ? 'readiness' : 'startup'}`;
    return { ok: h.probeOutcome.get(key) ?? true, output: 'probe said so' };
  };
  h.kubelet = new Kubelet({
    nodeName: 'node-1',
    hostIP: '192.168.1.10',
    runtime: rt,
    rootDir,
    clock,
    pods: () => h.pods,
    lookup: { configMap: (_ns, name) => h.configMaps.get(name), secret: () => undefined },
    recorder: { event: (_o, type, reason, message) => void h.events.push(`${type} ${reason} ${message}`) },
    onStatus: (pod, status) => void h.statuses.set(pod.metadata.name ?? '', status),
    onTerminated: (pod) => void h.terminated.push(pod.metadata.name ?? ''),
    probeRunner,
  });
  const flush = async () => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    await h.kubelet.syncer.idle();
  };
  h.sync = async () => {
    await h.kubelet.syncNow();
    await flush();
  };
  // Time moves in small steps with the event loop drained in between, so async probe runs and
  // syncs triggered by a timer complete before the next timer is due — as they would in real time.
  h.advance = async (ms: number) => {
    let left = ms;
    while (left > 0) {
      const step = Math.min(250, left);
      h.clock.advance(step);
      left -= step;
      await flush();
    }
  };
  h.status = (name: string) => {
    const s = h.statuses.get(name);
    if (!s) throw new Error(`no status for ${name}`);
    return s;
  };
  return h;
}

describe('pod sync', () => {
  it('creates the sandbox, starts the containers and reports Running with the pod IP', async () => {
    const h = harness();
    h.pods.push(makePod('web', [{ name: 'a' }, { name: 'b' }]));
    await h.sync();
    // The app containers are created while the sandbox starts, then started in order.
    expect(h.runtime.calls).toEqual([
      'runSandbox web 0',
      'create web/a 0',
      'create web/b 0',
      'start web/a 0',
      'start web/b 0',
    ]);
    const s = h.status('web');
    expect(s.phase).toBe('Running');
    expect(s.podIP).toMatch(/^10\.244\.0\.\d+$/);
    expect(s.podIPs).toEqual([{ ip: s.podIP }]);
    expect(s.hostIP).toBe('192.168.1.10');
    expect(s.startTime).toBeDefined();
    expect(s.containerStatuses?.map((c) => [c.name, c.ready, c.restartCount, !!c.state.running])).toEqual([
      ['a', true, 0, true],
      ['b', true, 0, true],
    ]);
    const conditions = Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toMatchObject({
      PodScheduled: 'True',
      Initialized: 'True',
      ContainersReady: 'True',
      Ready: 'True',
    });
    // A second pass changes nothing.
    h.runtime.calls.length = 0;
    await h.sync();
    expect(h.runtime.calls).toEqual([]);
  });

  it('creates app containers while the sandbox starts, and passes the pod IP to them', async () => {
    const h = harness();
    const sandboxStateAtCreate: string[] = [];
    const create = h.runtime.createContainer.bind(h.runtime);
    h.runtime.createContainer = async (sandboxId, config) => {
      sandboxStateAtCreate.push(h.runtime.containers.get(sandboxId)?.state ?? 'missing');
      return create(sandboxId, config);
    };
    h.pods.push(
      makePod('early', [
        { name: 'a', env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] },
      ]),
    );
    await h.sync();
    expect(sandboxStateAtCreate).toEqual(['created']);
    const podIP = h.status('early').podIP;
    expect(h.runtime.latest('early', 'a')?.config?.env).toContainEqual({ name: 'IP', value: podIP });
    expect(h.status('early').phase).toBe('Running');
  });

  it('removes the containers made for a sandbox that failed to start, and retries later', async () => {
    const h = harness();
    h.runtime.sandboxStartFailure = 'network endpoint failed';
    h.pods.push(makePod('flaky', [{ name: 'a' }]));
    await h.sync();
    expect(h.runtime.calls).toEqual(['runSandbox flaky 0', 'create flaky/a 0', 'remove flaky/a 0']);
    expect(h.runtime.containers.size).toBe(0);
    expect(h.events.some((e) => e.includes('FailedCreatePodSandBox'))).toBe(true);
    h.runtime.sandboxStartFailure = undefined;
    await h.advance(5_000);
    expect(h.status('flaky').phase).toBe('Running');
    expect(h.status('flaky').containerStatuses?.[0]?.restartCount).toBe(0);
  });

  it('syncs only the pods an informer event names, and removes a deleted pod at once', async () => {
    const h = harness();
    const a = makePod('a', [{}]);
    const b = makePod('b', [{}]);
    h.pods.push(a);
    await h.sync();
    h.runtime.calls.length = 0;
    // b is desired too (a full pass would start it), but only a's change is announced.
    h.pods.push(b);
    h.kubelet.podsChanged([{ ...a, metadata: { ...a.metadata, labels: { changed: 'yes' } } }]);
    await h.kubelet.syncer.idle();
    expect(h.runtime.calls).toEqual([]);
    h.kubelet.podsChanged([b]);
    await h.kubelet.syncer.idle();
    expect(h.runtime.calls).toEqual(['runSandbox b 0', 'create b/c0 0', 'start b/c0 0']);
    h.runtime.calls.length = 0;
    h.pods.splice(0, 1);
    h.kubelet.podRemoved(a.metadata.uid ?? '');
    await h.kubelet.syncer.idle();
    expect(h.runtime.calls).toEqual(['stop a/c0 grace=30', 'remove a/c0 0', 'remove a/sandbox 0']);
    expect([...h.runtime.containers.values()].every((c) => c.ref.podName === 'b')).toBe(true);
  });

  it('gives every pod its own IP', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.pods.push(makePod(`p${i}`, [{}]));
    await h.sync();
    const ips = h.pods.map((p) => h.status(p.metadata.name ?? '').podIP);
    expect(new Set(ips).size).toBe(5);
  });

  it('runs init containers one at a time, to completion, before the app containers', async () => {
    const h = harness();
    h.pods.push(
      makePod('init', [{ name: 'app' }], {
        initContainers: [
          { name: 'i1', image: IMAGE },
          { name: 'i2', image: IMAGE },
        ],
      }),
    );
    await h.sync();
    expect(h.runtime.calls).toEqual(['runSandbox init 0', 'create init/i1 0', 'start init/i1 0']);
    let s = h.status('init');
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0]?.state.waiting?.reason).toBe('PodInitializing');
    expect(s.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
    });

    h.runtime.exit(h.runtime.latest('init', 'i1')!.id, 0);
    await h.sync();
    expect(h.runtime.calls.slice(3)).toEqual(['create init/i2 0', 'start init/i2 0']);
    h.runtime.exit(h.runtime.latest('init', 'i2')!.id, 0);
    await h.sync();
    expect(h.runtime.calls.slice(5)).toEqual(['create init/app 0', 'start init/app 0']);
    s = h.status('init');
    expect(s.phase).toBe('Running');
    expect(s.initContainerStatuses?.map((c) => c.state.terminated?.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
  });

  it('restarts a failing container with CrashLoopBackOff: immediately, then after 10 s, 20 s…', async () => {
    const h = harness();
    h.pods.push(makePod('crash', [{ name: 'app' }]));
    await h.sync();
    const crash = async () => {
      h.runtime.exit(h.runtime.latest('crash', 'app')!.id, 3);
      await h.sync();
    };
    await crash();
    // First restart at once.
    expect(h.runtime.latest('crash', 'app')?.ref.attempt).toBe(1);
    expect(h.status('crash').containerStatuses?.[0]?.restartCount).toBe(1);
    expect(h.status('crash').containerStatuses?.[0]?.lastState.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });

    await crash();
    let cs = h.status('crash').containerStatuses?.[0];
    expect(cs?.state.waiting?.reason).toBe('CrashLoopBackOff');
    expect(cs?.state.waiting?.message).toContain(
      'back-off 10s restarting failed container=app pod=crash_default(uid-crash)',
    );
    expect(cs?.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(h.status('crash').phase).toBe('Running');
    expect(h.status('crash').conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(h.events.some((e) => e.startsWith('Warning BackOff'))).toBe(true);

    await h.advance(9_000);
    expect(h.runtime.latest('crash', 'app')?.ref.attempt).toBe(1);
    await h.advance(1_000); // the scheduled resync at the end of the backoff restarts it
    expect(h.runtime.latest('crash', 'app')?.ref.attempt).toBe(2);
    expect(h.status('crash').containerStatuses?.[0]?.state.running).toBeDefined();

    await crash();
    cs = h.status('crash').containerStatuses?.[0];
    expect(cs?.state.waiting?.message).toContain('back-off 20s');
    await h.advance(20_000);
    expect(h.runtime.latest('crash', 'app')?.ref.attempt).toBe(3);
    await h.sync();
    // Only the newest two instances are kept (for --previous logs).
    expect(
      [...h.runtime.containers.values()]
        .filter((c) => c.ref.containerName === 'app')
        .map((c) => c.ref.attempt)
        .sort(),
    ).toEqual([2, 3]);
  });

  it('starts the backoff over after a container ran for more than 10 minutes', async () => {
    const h = harness();
    h.pods.push(makePod('long', [{ name: 'app' }]));
    await h.sync();
    for (let i = 0; i < 3; i++) {
      h.runtime.exit(h.runtime.latest('long', 'app')!.id, 1);
      await h.sync();
      await h.advance(60_000);
    }
    expect(
      h.kubelet.syncer.backoff.delayMs('uid-long/app/' + h.runtime.latest('long', 'app')!.specHash),
    ).toBeGreaterThan(10_000);
    await h.advance(11 * 60_000);
    h.runtime.exit(h.runtime.latest('long', 'app')!.id, 1);
    const before = h.runtime.latest('long', 'app')!.ref.attempt;
    await h.sync();
    expect(h.runtime.latest('long', 'app')!.ref.attempt).toBe(before + 1); // restarted at once
  });

  it('reports OOMKilled', async () => {
    const h = harness();
    h.pods.push(makePod('oom', [{ name: 'app' }], { restartPolicy: 'Never' }));
    await h.sync();
    h.runtime.exit(h.runtime.latest('oom', 'app')!.id, 137, { oomKilled: true });
    await h.sync();
    expect(h.status('oom').containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
      signal: 9,
    });
    expect(h.status('oom').phase).toBe('Failed');
  });

  it('follows restartPolicy Never and OnFailure to Succeeded/Failed and stops the sandbox', async () => {
    const h = harness();
    h.pods.push(makePod('ok', [{ name: 'app' }], { restartPolicy: 'Never' }));
    h.pods.push(makePod('bad', [{ name: 'app' }], { restartPolicy: 'Never' }));
    h.pods.push(makePod('retry', [{ name: 'app' }], { restartPolicy: 'OnFailure' }));
    await h.sync();
    h.runtime.exit(h.runtime.latest('ok', 'app')!.id, 0);
    h.runtime.exit(h.runtime.latest('bad', 'app')!.id, 2);
    h.runtime.exit(h.runtime.latest('retry', 'app')!.id, 2);
    await h.sync();
    expect(h.status('ok').phase).toBe('Succeeded');
    expect(h.status('ok').containerStatuses?.[0]?.state.terminated?.reason).toBe('Completed');
    expect(h.status('ok').conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
    expect(h.status('bad').phase).toBe('Failed');
    expect(h.runtime.sandboxOf('ok')?.state).toBe('exited');
    expect(h.runtime.sandboxOf('bad')?.state).toBe('exited');
    expect(h.status('ok').podIP).toBeDefined(); // kept after the sandbox stopped
    // OnFailure restarts a failure…
    expect(h.runtime.latest('retry', 'app')?.ref.attempt).toBe(1);
    h.runtime.exit(h.runtime.latest('retry', 'app')!.id, 0);
    await h.sync();
    // …and completes on success.
    expect(h.status('retry').phase).toBe('Succeeded');
  });

  it('fails a pod whose init container fails under restartPolicy Never', async () => {
    const h = harness();
    h.pods.push(
      makePod('initfail', [{ name: 'app' }], {
        restartPolicy: 'Never',
        initContainers: [{ name: 'i', image: IMAGE }],
      }),
    );
    await h.sync();
    h.runtime.exit(h.runtime.latest('initfail', 'i')!.id, 1);
    await h.sync();
    expect(h.status('initfail').phase).toBe('Failed');
    expect(h.runtime.latest('initfail', 'app')).toBeUndefined();
  });

  it('reports ErrImagePull, then ImagePullBackOff, and pulls again after the backoff', async () => {
    const h = harness();
    h.runtime.pullFailures.set('nowhere.invalid/app:1', 'dial tcp: lookup nowhere.invalid: no such host');
    h.pods.push(makePod('img', [{ name: 'app', image: 'nowhere.invalid/app:1' }]));
    await h.sync();
    let waiting = h.status('img').containerStatuses?.[0]?.state.waiting;
    expect(waiting?.reason).toBe('ErrImagePull');
    expect(waiting?.message).toBe(
      'failed to pull image "nowhere.invalid/app:1": dial tcp: lookup nowhere.invalid: no such host',
    );
    expect(h.status('img').phase).toBe('Pending');
    await h.advance(1_000);
    waiting = h.status('img').containerStatuses?.[0]?.state.waiting;
    expect(waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "nowhere.invalid/app:1"',
    });
    expect(h.runtime.calls.filter((c) => c.startsWith('pull'))).toHaveLength(1);
    await h.advance(9_000);
    expect(h.runtime.calls.filter((c) => c.startsWith('pull'))).toHaveLength(2);
    // Once the image can be had, the container starts.
    h.runtime.pullFailures.clear();
    await h.advance(25_000);
    expect(h.status('img').containerStatuses?.[0]?.state.running).toBeDefined();
  });

  it('honours imagePullPolicy', async () => {
    const h = harness();
    h.pods.push(makePod('never', [{ name: 'app', image: 'absent:1', imagePullPolicy: 'Never' }]));
    h.pods.push(makePod('always', [{ name: 'app', imagePullPolicy: 'Always' }]));
    h.pods.push(makePod('present', [{ name: 'app' }]));
    await h.sync();
    expect(h.status('never').containerStatuses?.[0]?.state.waiting?.reason).toBe('ErrImageNeverPull');
    expect(h.runtime.calls.filter((c) => c.startsWith('pull'))).toEqual([`pull ${IMAGE}`]);
  });

  it('restarts a container whose liveness probe fails and gates Ready on readiness', async () => {
    const h = harness();
    h.pods.push(
      makePod('probed', [
        {
          name: 'app',
          livenessProbe: { exec: { command: ['true'] }, periodSeconds: 5, failureThreshold: 2 },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5, failureThreshold: 1 },
        },
      ]),
    );
    await h.sync();
    // Readiness starts unknown: not ready until the first success.
    expect(h.status('probed').conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    await h.advance(1);
    expect(h.status('probed').conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    h.probeOutcome.set('app/readiness', false);
    h.probeOutcome.set('app/liveness', false);
    await h.advance(5_000);
    expect(h.status('probed').containerStatuses?.[0]?.ready).toBe(false);
    expect(h.runtime.latest('probed', 'app')?.ref.attempt).toBe(0); // one failure is below the threshold
    await h.advance(5_000);
    expect(h.events.some((e) => e.startsWith('Warning Unhealthy Liveness probe failed'))).toBe(true);
    expect(h.runtime.calls).toContain('stop probed/app grace=30');
    await h.sync();
    expect(h.runtime.latest('probed', 'app')?.ref.attempt).toBe(1);
    expect(h.status('probed').containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it('holds liveness and readiness until the startup probe succeeds', async () => {
    const h = harness();
    h.probeOutcome.set('app/startup', false);
    h.pods.push(
      makePod('slow', [
        {
          name: 'app',
          startupProbe: { exec: { command: ['true'] }, periodSeconds: 1, failureThreshold: 100 },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
        },
      ]),
    );
    await h.sync();
    await h.advance(5_000);
    let cs = h.status('slow').containerStatuses?.[0];
    expect(cs?.started).toBe(false);
    expect(cs?.ready).toBe(false);
    h.probeOutcome.set('app/startup', true);
    await h.advance(3_000);
    cs = h.status('slow').containerStatuses?.[0];
    expect(cs?.started).toBe(true);
    expect(cs?.ready).toBe(true);
  });

  it('terminates a pod being deleted with its grace period and reports it terminated', async () => {
    const h = harness();
    const pod = makePod('gone', [{ name: 'a' }, { name: 'b' }]);
    h.pods.push(pod);
    await h.sync();
    pod.metadata.deletionTimestamp = new Date(h.clock.now()).toISOString();
    pod.metadata.deletionGracePeriodSeconds = 7;
    await h.sync();
    expect(h.runtime.calls).toEqual(
      expect.arrayContaining(['stop gone/a grace=7', 'stop gone/b grace=7', 'stop gone/sandbox grace=0']),
    );
    expect(h.terminated).toEqual(['gone']);
    expect(h.status('gone').containerStatuses?.every((c) => c.state.terminated)).toBe(true);
    // Once the API object is gone, everything of the pod is removed.
    h.pods.length = 0;
    await h.sync();
    expect(h.runtime.containers.size).toBe(0);
  });

  it('removes containers of pods that no longer exist, and their volume folders', async () => {
    const h = harness();
    h.pods.push(
      makePod('keep', [{}]),
      makePod('drop', [{}], { volumes: [{ name: 'scratch', emptyDir: {} }] }),
    );
    await h.sync();
    expect(await h.kubelet.syncer['options'].volumes.podUids()).toContain('uid-drop');
    h.pods.splice(1, 1);
    await h.sync();
    expect([...h.runtime.containers.values()].every((c) => c.ref.podName === 'keep')).toBe(true);
    expect(await h.kubelet.syncer['options'].volumes.podUids()).not.toContain('uid-drop');
  });

  it('adopts running containers after a restart without restarting them', async () => {
    const clock = new ManualClock();
    const first = harness(undefined, clock);
    first.pods.push(makePod('web', [{ name: 'a' }]), makePod('crashy', [{ name: 'a' }]));
    await first.sync();
    first.runtime.exit(first.runtime.latest('crashy', 'a')!.id, 1);
    await first.sync(); // restarted once: attempt 1
    first.kubelet.stop();

    const second = harness(first.runtime, clock);
    second.pods.push(...first.pods);
    first.runtime.calls.length = 0;
    await second.sync();
    expect(first.runtime.calls).toEqual([]);
    const web = second.status('web');
    expect(web.phase).toBe('Running');
    expect(web.podIP).toBe(first.status('web').podIP);
    expect(second.status('crashy').containerStatuses?.[0]).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 1 } },
    });
  });

  it('recreates the sandbox (and the containers in it) when the sandbox died', async () => {
    const h = harness();
    h.pods.push(makePod('web', [{ name: 'a' }]));
    await h.sync();
    h.runtime.exit(h.runtime.sandboxOf('web')!.id, 0);
    await h.sync();
    expect(h.runtime.sandboxOf('web')?.ref.attempt).toBe(1);
    expect(h.runtime.latest('web', 'a')?.ref.attempt).toBe(1);
    expect(h.runtime.latest('web', 'a')?.sandboxId).toBe(h.runtime.sandboxOf('web')?.id);
    expect(h.status('web').phase).toBe('Running');
  });

  it('recreates a container whose spec changed (kubectl set image)', async () => {
    const h = harness();
    const pod = makePod('web', [{ name: 'a' }]);
    h.pods.push(pod);
    await h.sync();
    h.runtime.images.add('flotilla.test/busybox:2');
    pod.spec.containers[0]!.image = 'flotilla.test/busybox:2';
    await h.sync(); // kills the old one
    await h.sync(); // starts the new one
    expect(h.runtime.latest('web', 'a')?.image).toBe('flotilla.test/busybox:2');
    expect(h.runtime.latest('web', 'a')?.state).toBe('running');
  });

  it('projects a ConfigMap volume and rewrites it when the ConfigMap changes', async () => {
    const h = harness();
    h.configMaps.set('cfg', { metadata: { name: 'cfg' }, data: { 'greeting.txt': 'hello' } });
    h.pods.push(
      makePod('cm', [{ name: 'a', volumeMounts: [{ name: 'v', mountPath: '/etc/cfg' }] }], {
        volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
      }),
    );
    await h.sync();
    const mount = h.runtime.latest('cm', 'a')?.config?.mounts[0];
    expect(mount).toMatchObject({ containerPath: '/etc/cfg', readOnly: true });
    expect(await readFile(join(mount!.hostPath, 'greeting.txt'), 'utf8')).toBe('hello');
    h.configMaps.set('cfg', { metadata: { name: 'cfg' }, data: { 'greeting.txt': 'bonjour' } });
    await h.sync();
    expect(await readFile(join(mount!.hostPath, 'greeting.txt'), 'utf8')).toBe('bonjour');
    expect(h.runtime.latest('cm', 'a')?.ref.attempt).toBe(0); // no restart needed
  });

  it('waits with ContainerCreating and a FailedMount event while a ConfigMap is missing', async () => {
    const h = harness();
    h.pods.push(
      makePod('nocm', [{ name: 'a' }], { volumes: [{ name: 'v', configMap: { name: 'missing' } }] }),
    );
    await h.sync();
    expect(h.status('nocm').containerStatuses?.[0]?.state.waiting?.reason).toBe('ContainerCreating');
    expect(
      h.events.some((e) => e.includes('FailedMount') && e.includes('configmap "missing" not found')),
    ).toBe(true);
    expect(h.runtime.sandboxOf('nocm')).toBeUndefined();
  });

  it('reports CreateContainerConfigError for a missing env key and RunContainerError for a failed start', async () => {
    const h = harness();
    h.pods.push(
      makePod('cfgerr', [
        { name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }] },
      ]),
    );
    h.runtime.startFailures.set('b', 'exec: "nope": executable file not found in $PATH');
    h.pods.push(makePod('runerr', [{ name: 'b', command: ['nope'] }]));
    await h.sync();
    expect(h.status('cfgerr').containerStatuses?.[0]?.state.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'configmap "missing" not found',
    });
    expect(h.status('runerr').containerStatuses?.[0]?.state.waiting?.reason).toBe('RunContainerError');
  });
});
