// DockerRuntime against a fake engine (a dockerode look-alike): every changing call goes through the
// engine limiter, and a stop holds no slot while it waits out a grace period.
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { DockerRuntime } from './docker-runtime';
import { LABEL } from './labels';
import type { SandboxConfig } from './types';

interface FakeContainerState {
  running: boolean;
  labels: Record<string, string>;
  /** Exits on SIGTERM (a well-behaved app) or only on SIGKILL. */
  exitsOnTerm: boolean;
  waiters: (() => void)[];
}

/** Just enough of dockerode for runSandbox/createContainer/start/stop/remove, with call latency. */
class FakeEngine {
  readonly containers = new Map<string, FakeContainerState>();
  readonly log: string[] = [];
  inFlight = 0;
  peak = 0;
  private seq = 0;

  constructor(private readonly latencyMs = 5) {}

  private async changing<T>(what: string, f: () => T): Promise<T> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    this.log.push(what);
    try {
      await new Promise((r) => setTimeout(r, this.latencyMs));
      return f();
    } finally {
      this.inFlight--;
    }
  }

  private exit(c: FakeContainerState): void {
    c.running = false;
    for (const w of c.waiters.splice(0)) w();
  }

  asDocker(): Docker {
    const notFound = () => Object.assign(new Error('no such container'), { statusCode: 404 });
    const get = (id: string) => {
      const c = this.containers.get(id);
      if (!c) throw notFound();
      return c;
    };
    const docker = {
      version: async () => ({ Arch: 'amd64', Version: '20.10.24' }),
      getImage: () => ({ inspect: async () => ({ Id: 'sha256:pause', RepoTags: [], Size: 1 }) }),
      getNetwork: () => ({
        inspect: async () => ({ IPAM: { Config: [{ Subnet: '10.244.0.0/24' }] }, Containers: {} }),
      }),
      createContainer: (options: Docker.ContainerCreateOptions) =>
        this.changing('create', () => {
          const id = `c${++this.seq}`;
          this.containers.set(id, {
            running: false,
            labels: options.Labels ?? {},
            exitsOnTerm: true,
            waiters: [],
          });
          return { id };
        }),
      getContainer: (id: string) => ({
        id,
        start: () =>
          this.changing('start', () => {
            get(id).running = true;
          }),
        kill: (opts: { signal: string }) =>
          this.changing(`kill ${opts.signal}`, () => {
            const c = get(id);
            if (!c.running) throw Object.assign(new Error('not running'), { statusCode: 409 });
            if (opts.signal === 'SIGKILL' || c.exitsOnTerm) setTimeout(() => this.exit(c), 1);
          }),
        wait: (opts: { abortSignal?: AbortSignal }) =>
          new Promise<void>((resolve, reject) => {
            const c = this.containers.get(id);
            if (!c || !c.running) return resolve();
            c.waiters.push(resolve);
            opts.abortSignal?.addEventListener('abort', () => reject(new Error('aborted')));
          }),
        remove: () =>
          this.changing('remove', () => {
            const c = get(id);
            this.exit(c);
            this.containers.delete(id);
          }),
      }),
    };
    return docker as unknown as Docker;
  }
}

function sandbox(i: number): SandboxConfig {
  return {
    ref: {
      podUid: `uid-${i}`,
      podName: `p${i}`,
      podNamespace: 'default',
      kind: 'sandbox',
      containerName: '',
      attempt: 0,
    },
    hostname: `p${i}`,
    portMappings: [],
    gracePeriodSeconds: 30,
  };
}

describe('DockerRuntime engine calls', () => {
  it('keeps changing engine calls within the limit while many pods start and go', async () => {
    const engine = new FakeEngine();
    const runtime = new DockerRuntime({
      docker: engine.asDocker(),
      nodeName: 'n1',
      podCidr: '10.244.0.0/24',
      engineConcurrency: 3,
    });
    const started = await Promise.all(Array.from({ length: 20 }, (_, i) => runtime.runSandbox(sandbox(i))));
    expect(new Set(started.map((s) => s.ip)).size).toBe(20);
    expect([...engine.containers.values()].every((c) => c.running)).toBe(true);
    await Promise.all(
      started.map(async (s) => {
        await runtime.stopContainer(s.id, 0);
        await runtime.removeContainer(s.id);
      }),
    );
    expect(engine.containers.size).toBe(0);
    expect(engine.peak).toBe(3);
    expect(runtime.limiter.stats()).toMatchObject({ active: 0, queued: 0, peakActive: 3 });
  });

  it('lets the pod’s containers be created while its sandbox starts', async () => {
    const engine = new FakeEngine();
    const runtime = new DockerRuntime({
      docker: engine.asDocker(),
      nodeName: 'n1',
      podCidr: '10.244.0.0/24',
    });
    let sandboxRunningAtCreate: boolean | undefined;
    const s = await runtime.runSandbox(sandbox(1), {
      onCreated: async ({ id, ip }) => {
        expect(ip).toMatch(/^10\.244\.0\./);
        sandboxRunningAtCreate = engine.containers.get(id)?.running;
        await runtime.createContainer(id, {
          ref: { ...sandbox(1).ref, kind: 'app', containerName: 'main' },
          specHash: 'h',
          image: 'flotilla.test/busybox:1',
          env: [],
          privileged: false,
          readOnlyRootfs: false,
          capAdd: [],
          capDrop: [],
          mounts: [],
          tty: false,
          stdin: false,
          stdinOnce: false,
          gracePeriodSeconds: 30,
        });
      },
    });
    expect(sandboxRunningAtCreate).toBe(false);
    expect(s.state).toBe('running');
    expect(engine.log).toEqual(['create', 'start', 'create']);
    const app = [...engine.containers.values()].find((c) => c.labels[LABEL.containerName] === 'main');
    expect(app?.labels[LABEL.podUid]).toBe('uid-1');
  });

  it('stops gracefully without holding an engine slot during the grace period', async () => {
    const engine = new FakeEngine(1);
    const runtime = new DockerRuntime({
      docker: engine.asDocker(),
      nodeName: 'n1',
      podCidr: '10.244.0.0/24',
      engineConcurrency: 1,
    });
    const stubborn = await runtime.runSandbox(sandbox(1));
    engine.containers.get(stubborn.id)!.exitsOnTerm = false;
    const t0 = performance.now();
    const stopping = runtime.stopContainer(stubborn.id, 1);
    // With the only slot free again after the SIGTERM, another pod starts during the grace period.
    const other = await runtime.runSandbox(sandbox(2));
    expect(performance.now() - t0).toBeLessThan(900);
    expect(engine.containers.get(other.id)?.running).toBe(true);
    await stopping;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(engine.containers.get(stubborn.id)?.running).toBe(false);
    expect(engine.log.filter((l) => l.startsWith('kill'))).toEqual(['kill SIGTERM', 'kill SIGKILL']);
    // A container that is not running is fine to stop.
    await runtime.stopContainer(stubborn.id, 30);
  });
});
