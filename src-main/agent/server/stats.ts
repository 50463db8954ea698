// /stats/summary: CPU and memory of the node and of each pod's containers. The engine and /proc give
// cumulative CPU time; a rate (usageNanoCores) needs two readings, so a background sampler keeps
// recent readings of every container and of the node (cAdvisor's housekeeping role) and each request
// takes a fresh reading and computes the rate since an earlier one.
//
// Every reading carries the time it was taken by its own source: the node's when /proc/stat was
// read, a container's the engine's `read` stamp. A rate is Δcpu / Δt of one source's two readings —
// never a time taken after some other, slower source answered (reading 100 containers' stats takes
// the engine seconds; stamping the node's /proc/stat reading after that made the node's interval
// wrong and `kubectl top nodes` show ten cores on a two-core machine).
//
// Readings closer together than `minWindowMs` are not used as a pair: /proc/stat counts in 10 ms
// ticks, so a 50 ms window would be mostly rounding. What rounding is left (a tick or so per window)
// can make a fully busy node read a few millicores over its CPUs; the node's rate is capped there.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
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
  /** Cumulative busy CPU time of the node, nanoseconds (stamped with `now()` when it resolves). */
  nodeCpuNanos?: () => Promise<number>;
  /** How many CPUs `nodeCpuNanos` counts (default: this machine's, as /proc/stat does). */
  nodeCpus?: number;
  /** Memory in use (total minus available), bytes. */
  nodeMemoryBytes?: () => Promise<number>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** The shortest interval a rate is computed over (default 1000 ms). */
  minWindowMs?: number;
}

export interface Reading {
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

// Synchronous on purpose: /proc/stat is generated in microseconds, and reading it on the event loop
// means the stamp taken right after is the moment it was read, not when a thread-pool job finished.
async function procNodeCpu(): Promise<number> {
  return busyNanosFromProcStat(readFileSync('/proc/stat', 'utf8'));
}

async function procNodeMemory(): Promise<number> {
  const text = await readFile('/proc/meminfo', 'utf8');
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

/** The engine's stamp of a container reading; undefined when missing or the zero time. */
export function engineTime(timestamp: string | undefined): number | undefined {
  const t = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

/**
 * The last two readings of one source that are at least `minWindowMs` apart: `latest` and the one
 * before it. A reading taken sooner than that after `latest` is not kept (it would make a window
 * too short to measure over); one older than `latest` (a slower concurrent sample) is ignored.
 */
interface History {
  previous?: Reading;
  latest: Reading;
}

function record(history: History | undefined, r: Reading, minWindowMs: number): History {
  if (!history) return { latest: r };
  if (r.atMs - history.latest.atMs < minWindowMs) return history;
  return { previous: history.latest, latest: r };
}

/** The newest reading in `history` at least `minWindowMs` before `r`. */
function baseline(history: History | undefined, r: Reading, minWindowMs: number): Reading | undefined {
  if (!history) return undefined;
  if (r.atMs - history.latest.atMs >= minWindowMs) return history.latest;
  if (history.previous && r.atMs - history.previous.atMs >= minWindowMs) return history.previous;
  return undefined;
}

interface Sample {
  containers: { sample: ContainerSample; reading?: Reading }[];
  node: Reading;
}

export class StatsCollector {
  private readonly histories = new Map<string, History>();
  private nodeHistory?: History;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly minWindowMs: number;
  private readonly nodeCpus: number;

  constructor(private readonly sources: StatsSources) {
    this.now = sources.now ?? Date.now;
    this.sleep = sources.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.minWindowMs = sources.minWindowMs ?? 1_000;
    this.nodeCpus = sources.nodeCpus ?? (os.cpus().length || Number.POSITIVE_INFINITY);
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

  /** Reads the node and every container, each stamped by its own source, and records the readings. */
  private async sample(): Promise<Sample> {
    const readNode = this.sources.nodeCpuNanos ?? procNodeCpu;
    // Both run at once, but neither waits for the other to be stamped.
    const [containers, node] = await Promise.all([
      this.sources.containers(),
      readNode().then((cpuNanos) => ({ cpuNanos, atMs: this.now() })),
    ]);
    const seen = new Set<string>();
    const out: Sample['containers'] = [];
    for (const c of containers) {
      const key = this.key(c);
      seen.add(key);
      const atMs = engineTime(c.stats.timestamp);
      // Without the engine's stamp there is no honest interval: no rate rather than a wrong one.
      const reading = atMs === undefined ? undefined : { cpuNanos: c.stats.cpuUsageNanos, atMs };
      if (reading) this.histories.set(key, record(this.histories.get(key), reading, this.minWindowMs));
      out.push({ sample: c, reading });
    }
    for (const key of this.histories.keys()) if (!seen.has(key)) this.histories.delete(key);
    this.nodeHistory = record(this.nodeHistory, node, this.minWindowMs);
    return { containers: out, node };
  }

  async summary(): Promise<StatsSummary> {
    // Baselines are chosen from the histories as they were before this request's readings.
    let histories = new Map(this.histories);
    let nodeHistory = this.nodeHistory;
    let current = await this.sample();
    const lacksBaseline = (s: Sample) =>
      !baseline(nodeHistory, s.node, this.minWindowMs) ||
      s.containers.some(
        (c) => c.reading && !baseline(histories.get(this.key(c.sample)), c.reading, this.minWindowMs),
      );
    if (lacksBaseline(current)) {
      // A container (or the node) seen for the first time, or read moments ago: read again once
      // the shortest window has passed, so rates are measured, not 0.
      histories = new Map(this.histories);
      nodeHistory = this.nodeHistory;
      await this.sleep(this.minWindowMs);
      current = await this.sample();
    }
    const time = new Date(current.node.atMs).toISOString();
    const memory = await (this.sources.nodeMemoryBytes ?? procNodeMemory)();
    const pods = new Map<string, StatsSummary['pods'][number]>();
    for (const { sample: c, reading } of current.containers) {
      const cTime = reading ? new Date(reading.atMs).toISOString() : time;
      const before = reading && baseline(histories.get(this.key(c)), reading, this.minWindowMs);
      const cpu = { time: cTime, usageNanoCores: reading ? rate(before, reading) : 0 };
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
        cpu: {
          time,
          usageNanoCores: Math.min(
            this.nodeCpus * 1e9,
            rate(baseline(nodeHistory, current.node, this.minWindowMs), current.node),
          ),
        },
        memory: { time, workingSetBytes: memory },
      },
      pods: [...pods.values()].sort((a, b) =>
        `${a.podRef.namespace}/${a.podRef.name}` < `${b.podRef.namespace}/${b.podRef.name}` ? -1 : 1,
      ),
    };
  }
}
