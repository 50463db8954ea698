// Liveness, readiness and startup probes: one worker per (running container, probe kind), ticking
// every periodSeconds after initialDelaySeconds, turning single outcomes into a result with the
// success/failure thresholds. Results feed the pod sync (liveness/startup failure → restart) and
// the status (readiness → Ready). While a startup probe has not succeeded the others do not run.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Clock, Timer } from '../clock';
import type { ContainerRuntime, RuntimeContainer } from '../runtime/types';
import type { ProbeKind, ProbeResult, ProbeResults } from './status';
import type { Container, Pod, Probe } from './types';

export interface ProbeTarget {
  pod: Pod;
  container: Container;
  runtimeContainer: RuntimeContainer;
  podIP: string;
}

/** Runs one probe once. Injectable so the worker logic is testable without containers. */
export type ProbeRunner = (
  probe: Probe,
  target: ProbeTarget,
  timeoutMs: number,
) => Promise<{ ok: boolean; output: string }>;

function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a named port of container ${container.name}`);
  return named.containerPort;
}

export function runtimeProbeRunner(runtime: ContainerRuntime): ProbeRunner {
  return async (probe, target, timeoutMs) => {
    try {
      if (probe.exec) {
        const result = await runtime.execCapture(
          target.runtimeContainer.id,
          probe.exec.command ?? [],
          timeoutMs,
        );
        return { ok: result.exitCode === 0, output: result.output };
      }
      if (probe.httpGet) {
        const g = probe.httpGet;
        const port = resolvePort(g.port, target.container);
        return await httpProbe(
          g.scheme === 'HTTPS',
          g.host || target.podIP,
          port,
          g.path || '/',
          g.httpHeaders ?? [],
          timeoutMs,
        );
      }
      if (probe.tcpSocket) {
        const port = resolvePort(probe.tcpSocket.port, target.container);
        return await tcpProbe(probe.tcpSocket.host || target.podIP, port, timeoutMs);
      }
      return { ok: false, output: 'probe has no handler (exec, httpGet or tcpSocket)' };
    } catch (err) {
      return { ok: false, output: err instanceof Error ? err.message : String(err) };
    }
  };
}

function httpProbe(
  tls: boolean,
  host: string,
  port: number,
  path: string,
  headers: { name: string; value: string }[],
  timeoutMs: number,
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const req = (tls ? httpsRequest : httpRequest)(
      {
        host,
        port,
        path,
        method: 'GET',
        timeout: timeoutMs,
        headers: {
          'User-Agent': 'kube-probe/1.32',
          Accept: '*/*',
          ...Object.fromEntries(headers.map((h) => [h.name, h.value])),
        },
        ...(tls ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < 10_240) body += d;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          // Kubernetes: 200–399 is success (redirects are not followed off-host; treated as success).
          resolve({ ok: code >= 200 && code < 400, output: `HTTP probe failed with statuscode: ${code}` });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`Get "http://${host}:${port}${path}": context deadline exceeded`)),
    );
    req.on('error', (err) => resolve({ ok: false, output: err.message }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.on('connect', () => {
      socket.destroy();
      resolve({ ok: true, output: '' });
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.on('error', (err) => resolve({ ok: false, output: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

interface Worker {
  kind: ProbeKind;
  containerId: string;
  probe: Probe;
  result: ProbeResult | undefined;
  runs: { outcome: boolean; count: number };
  timer?: Timer;
  stopped: boolean;
  running: boolean;
}

export interface ProbeChange {
  pod: Pod;
  container: Container;
  containerId: string;
  kind: ProbeKind;
  result: ProbeResult;
  output: string;
}

export class ProbeManager implements ProbeResults {
  private readonly workers = new Map<string, Worker>();
  private readonly targets = new Map<string, ProbeTarget>();

  constructor(
    private readonly clock: Clock,
    private readonly runner: ProbeRunner,
    /** Called when a result changes (the pod is resynced; failures are recorded as events). */
    private readonly onChange: (change: ProbeChange) => void,
  ) {}

  get(containerId: string, kind: ProbeKind): ProbeResult | undefined {
    return this.workers.get(`${containerId}/${kind}`)?.result;
  }

  /** Makes the probe workers match the running containers of a pod (call on every sync). */
  update(pod: Pod, running: { spec: Container; container: RuntimeContainer }[], podIP: string): void {
    const uid = pod.metadata.uid ?? '';
    const wanted = new Set<string>();
    for (const { spec, container } of running) {
      this.targets.set(container.id, { pod, container: spec, runtimeContainer: container, podIP });
      for (const [kind, probe] of [
        ['startup', spec.startupProbe],
        ['liveness', spec.livenessProbe],
        ['readiness', spec.readinessProbe],
      ] as const) {
        if (!probe) continue;
        const key = `${container.id}/${kind}`;
        wanted.add(key);
        if (!this.workers.has(key)) this.startWorker(key, kind, container, probe);
      }
    }
    for (const [key, worker] of this.workers) {
      const target = this.targets.get(worker.containerId);
      if (target?.pod.metadata.uid === uid && !wanted.has(key)) this.stopWorker(key);
    }
  }

  /** Stops every worker of a pod (it is being torn down or is gone). */
  forgetPod(uid: string): void {
    for (const [key, worker] of this.workers) {
      if (this.targets.get(worker.containerId)?.pod.metadata.uid === uid) this.stopWorker(key);
    }
  }

  stopAll(): void {
    for (const key of [...this.workers.keys()]) this.stopWorker(key);
  }

  private stopWorker(key: string): void {
    const worker = this.workers.get(key);
    if (!worker) return;
    worker.stopped = true;
    worker.timer?.cancel();
    this.workers.delete(key);
    if (![...this.workers.values()].some((w) => w.containerId === worker.containerId))
      this.targets.delete(worker.containerId);
  }

  private startWorker(key: string, kind: ProbeKind, container: RuntimeContainer, probe: Probe): void {
    const worker: Worker = {
      kind,
      containerId: container.id,
      probe,
      // Liveness starts out healthy; readiness and startup start out unknown (not ready, not started).
      result: kind === 'liveness' ? 'success' : undefined,
      runs: { outcome: true, count: 0 },
      stopped: false,
      running: false,
    };
    this.workers.set(key, worker);
    const started = container.startedAt ? Date.parse(container.startedAt) : this.clock.now();
    const firstAt = started + (probe.initialDelaySeconds ?? 0) * 1000;
    const delay = Math.max(0, firstAt - this.clock.now());
    worker.timer = this.clock.setTimeout(() => void this.tick(key, worker), delay);
  }

  private async tick(key: string, worker: Worker): Promise<void> {
    if (worker.stopped || worker.running) return;
    const period = Math.max(1, worker.probe.periodSeconds ?? 10) * 1000;
    const schedule = () => {
      if (!worker.stopped) worker.timer = this.clock.setTimeout(() => void this.tick(key, worker), period);
    };
    const target = this.targets.get(worker.containerId);
    if (!target) return;
    // While the startup probe has not succeeded, liveness and readiness wait.
    if (
      worker.kind !== 'startup' &&
      target.container.startupProbe &&
      this.get(worker.containerId, 'startup') !== 'success'
    ) {
      schedule();
      return;
    }
    // Once started, the startup probe has done its job.
    if (worker.kind === 'startup' && worker.result === 'success') return;
    worker.running = true;
    const timeoutMs = Math.max(1, worker.probe.timeoutSeconds ?? 1) * 1000;
    let outcome: { ok: boolean; output: string };
    try {
      outcome = await this.runner(worker.probe, target, timeoutMs);
    } finally {
      worker.running = false;
    }
    if (worker.stopped) return;
    const runs = worker.runs;
    if (runs.outcome === outcome.ok) runs.count++;
    else {
      runs.outcome = outcome.ok;
      runs.count = 1;
    }
    const threshold = outcome.ok
      ? Math.max(1, worker.probe.successThreshold ?? 1)
      : Math.max(1, worker.probe.failureThreshold ?? 3);
    const next: ProbeResult | undefined =
      runs.count >= threshold ? (outcome.ok ? 'success' : 'failure') : worker.result;
    const changed = next !== worker.result;
    worker.result = next;
    if (changed && next) {
      this.onChange({
        pod: target.pod,
        container: target.container,
        containerId: worker.containerId,
        kind: worker.kind,
        result: next,
        output: outcome.output,
      });
    }
    // A failed liveness or startup probe means the container is killed: stop probing it.
    if (next === 'failure' && (worker.kind === 'liveness' || worker.kind === 'startup')) return;
    schedule();
  }
}
