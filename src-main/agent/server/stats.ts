// /stats/summary: CPU and memory of the node and of each pod's containers. The engine and /proc give
// cumulative CPU time; a rate (usageNanoCores) needs two readings, so a background sampler keeps the
// last reading of every container and of the node (cAdvisor's housekeeping role) and each request
// computes the rate since then. A container first seen by a request is read twice, 250 ms apart.
import { promises as fs } from 'node:fs';
import type { StatsSummary } from '../../shared/agent-api';
import type { ContainerStats } from '../runtime/types';

export interface ContainerSample {
  namespace: string;
  pod: string;
  container: string;
  stats: ContainerStats;
}

export interface StatsSources {
  nodeName: string;
  containers: () => Promise<ContainerSample[]>;
  podUid: (namespace: string, name: string) => string | undefined;
  /** Cumulative busy CPU time of the node, nanoseconds. */
  nodeCpuNanos?: () => Promise<number>;
  /** Memory in use (total minus available), bytes. */
  nodeMemoryBytes?: () => Promise<number>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Reading {
  cpuNanos: number;
  atMs: number;
}

/** The first line of /proc/stat → busy CPU time in nanoseconds (USER_HZ is 100 on Linux). */
export function busyNanosFromProcStat(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) * 10_000_000;
}

async function procNodeCpu(): Promise<number> {
  return busyNanosFromProcStat(await fs.readFile('/proc/stat', 'utf8'));
}

async function procNodeMemory(): Promise<number> {
  const text = await fs.readFile('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return Math.max(0, kb('MemTotal') - kb('MemAvailable'));
}

/** Nanocores used between two readings (0 when there is no usable interval). */
export function rate(before: Reading | undefined, after: Reading): number {
  if (!before) return 0;
  const dt = after.atMs - before.atMs;
  const dc = after.cpuNanos - before.cpuNanos;
  if (dt <= 0 || dc < 0) return 0;
  return Math.round((dc / dt) * 1e3); // ns of CPU per ms → ns per s = nanocores
}

export class StatsCollector {
  private readonly readings = new Map<string, Reading>();
  private nodeReading?: Reading;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly sources: StatsSources) {
    this.now = sources.now ?? Date.now;
    this.sleep = sources.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Samples every `intervalMs` in the background (stop() ends it). */
  start(intervalMs = 10_000): void {
    const tick = () => {
      void this.sample()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private key(s: ContainerSample): string {
    return `${s.namespace}/${s.pod}/${s.container}`;
  }

  private async sample(): Promise<{ containers: ContainerSample[]; node: Reading }> {
    const [containers, nodeCpu] = await Promise.all([
      this.sources.containers(),
      (this.sources.nodeCpuNanos ?? procNodeCpu)(),
    ]);
    const atMs = this.now();
    const seen = new Set<string>();
    for (const c of containers) {
      const key = this.key(c);
      seen.add(key);
      this.readings.set(key, {
        cpuNanos: c.stats.cpuUsageNanos,
        atMs: Date.parse(c.stats.timestamp) || atMs,
      });
    }
    for (const key of this.readings.keys()) if (!seen.has(key)) this.readings.delete(key);
    const node = { cpuNanos: nodeCpu, atMs };
    this.nodeReading = node;
    return { containers, node };
  }

  async summary(): Promise<StatsSummary> {
    let previous = new Map(this.readings);
    let previousNode = this.nodeReading;
    let current = await this.sample();
    const unseen = current.containers.some((c) => !previous.has(this.key(c)));
    if (unseen || !previousNode) {
      // No earlier reading for some: take a second one shortly after, so rates are real, not 0.
      previous = new Map(this.readings);
      previousNode = this.nodeReading;
      await this.sleep(250);
      current = await this.sample();
    }
    const time = new Date(current.node.atMs).toISOString();
    const memory = await (this.sources.nodeMemoryBytes ?? procNodeMemory)();
    const pods = new Map<string, StatsSummary['pods'][number]>();
    for (const c of current.containers) {
      const reading = this.readings.get(this.key(c)) as Reading;
      const cTime = c.stats.timestamp || time;
      const cpu = { time: cTime, usageNanoCores: rate(previous.get(this.key(c)), reading) };
      const mem = { time: cTime, workingSetBytes: c.stats.memoryWorkingSetBytes };
      const podKey = `${c.namespace}/${c.pod}`;
      let pod = pods.get(podKey);
      if (!pod) {
        pod = {
          podRef: { name: c.pod, namespace: c.namespace, uid: this.sources.podUid(c.namespace, c.pod) ?? '' },
          cpu: { time: cTime, usageNanoCores: 0 },
          memory: { time: cTime, workingSetBytes: 0 },
          containers: [],
        };
        pods.set(podKey, pod);
      }
      pod.containers.push({ name: c.container, cpu, memory: mem });
      pod.cpu.usageNanoCores += cpu.usageNanoCores;
      pod.memory.workingSetBytes += mem.workingSetBytes;
    }
    return {
      node: {
        nodeName: this.sources.nodeName,
        cpu: { time, usageNanoCores: rate(previousNode, current.node) },
        memory: { time, workingSetBytes: memory },
      },
      pods: [...pods.values()].sort((a, b) =>
        `${a.podRef.namespace}/${a.podRef.name}` < `${b.podRef.namespace}/${b.podRef.name}` ? -1 : 1,
      ),
    };
  }
}
