import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ContainerSample } from './stats';
import { busyNanosFromProcStat, engineTime, rate, StatsCollector } from './stats';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const CORE = 1e9; // nanocores in one core

/**
 * A machine on a fake clock: the node burns `nodeCores` of CPU and each container `containerCores`;
 * reading the containers' stats takes the engine `containerReadMs()` (a macrotask later, as real I/O
 * is), and each container is stamped when the engine read it, spread over that time.
 */
function fakeMachine(options: {
  nodeCores: number;
  containerCores: number;
  containers: string[];
  containerReadMs: () => number;
}) {
  let t = T0;
  const readings: { atMs: number }[] = [];
  const containers = async (): Promise<ContainerSample[]> => {
    await new Promise((r) => setImmediate(r));
    const took = options.containerReadMs();
    const start = t;
    t += took;
    return options.containers.map((name, i) => {
      const readAt = start + Math.round((took * (i + 1)) / (options.containers.length + 1));
      readings.push({ atMs: readAt });
      return {
        namespace: 'default',
        pod: name,
        container: 'c',
        stats: {
          cpuUsageNanos: Math.round(((readAt - T0) / 1000) * options.containerCores * CORE),
          memoryWorkingSetBytes: 1000,
          memoryUsageBytes: 2000,
          timestamp: new Date(readAt).toISOString(),
        },
      };
    });
  };
  return {
    now: () => t,
    advance: (ms: number) => (t += ms),
    readings,
    sources: {
      nodeName: 'n1',
      containers,
      podUid: (_ns: string, name: string) => `uid-${name}`,
      nodeCpuNanos: async () => Math.round(((t - T0) / 1000) * options.nodeCores * CORE),
      nodeMemoryBytes: async () => 123,
      nodeCpus: 4,
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    },
  };
}

describe('stats', () => {
  it('turns cumulative CPU into nanocores', () => {
    expect(busyNanosFromProcStat('cpu  100 0 50 1000 10 0 0 0 0 0\ncpu0 1 2 3\n')).toBe(150 * 10_000_000);
    expect(rate(undefined, { cpuNanos: 5, atMs: 1 })).toBe(0);
    expect(rate({ cpuNanos: 0, atMs: 0 }, { cpuNanos: 500_000_000, atMs: 1000 })).toBe(500_000_000);
    expect(rate({ cpuNanos: 10, atMs: 5 }, { cpuNanos: 5, atMs: 10 })).toBe(0); // counter reset
  });

  it('reads the engine’s stamps, and not its zero time', () => {
    expect(engineTime('2025-11-25T20:23:22.123456789Z')).toBe(Date.parse('2025-11-25T20:23:22.123Z'));
    expect(engineTime('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(engineTime('')).toBeUndefined();
    expect(engineTime(undefined)).toBeUndefined();
  });

  it('measures the node over its own interval while the engine takes seconds to answer', async () => {
    // The reported bug: /proc/stat was read at once but stamped only after the engine's stats came
    // back; a slow first read (5 s) then a quick one (0.3 s) made 1.5 cores look like 14.
    const durations = [5_000, 300];
    const m = fakeMachine({
      nodeCores: 1.5,
      containerCores: 0.25,
      containers: ['a', 'b', 'c'],
      containerReadMs: () => durations.shift() ?? 300,
    });
    const collector = new StatsCollector(m.sources);
    const s = await collector.summary();
    expect(s.node.cpu.usageNanoCores).toBe(1.5 * CORE);
    expect(s.node.memory.workingSetBytes).toBe(123);
    expect(s.pods.map((p) => p.podRef.name)).toEqual(['a', 'b', 'c']);
    for (const p of s.pods) {
      expect(p.podRef.uid).toBe(`uid-${p.podRef.name}`);
      expect(p.cpu.usageNanoCores).toBe(0.25 * CORE);
      expect(p.containers).toEqual([
        { name: 'c', cpu: { time: p.cpu.time, usageNanoCores: 0.25 * CORE }, memory: expect.anything() },
      ]);
      expect(p.memory.workingSetBytes).toBe(1000);
    }
  });

  it('rates a later request against the background sample, with slow and fast engine reads mixed', async () => {
    const durations = [4_000, 200, 3_000, 100];
    const m = fakeMachine({
      nodeCores: 0.8,
      containerCores: 0.5,
      containers: ['web'],
      containerReadMs: () => durations.shift() ?? 100,
    });
    const collector = new StatsCollector(m.sources);
    collector.start(60_000);
    await expect.poll(() => m.readings.length).toBe(1); // the background sample (4 s read)
    collector.stop();
    m.advance(1_500);
    let s = await collector.summary(); // 0.2 s read: no second read needed
    expect(m.readings).toHaveLength(2);
    expect(s.node.cpu.usageNanoCores).toBe(0.8 * CORE);
    expect(s.pods[0]!.cpu.usageNanoCores).toBe(0.5 * CORE);
    m.advance(2_000);
    s = await collector.summary(); // 3 s read
    expect(m.readings).toHaveLength(3);
    expect(s.node.cpu.usageNanoCores).toBe(0.8 * CORE);
    expect(s.pods[0]!.cpu.usageNanoCores).toBe(0.5 * CORE);
  });

  it('does not rate over a window shorter than the minimum: it reads again after it', async () => {
    const m = fakeMachine({
      nodeCores: 1,
      containerCores: 0.1,
      containers: ['web'],
      containerReadMs: () => 10,
    });
    const collector = new StatsCollector({ ...m.sources, minWindowMs: 1_000 });
    await collector.summary(); // first sight: reads twice, 1 s apart
    expect(m.readings).toHaveLength(2);
    m.advance(100);
    const s = await collector.summary(); // 110 ms after the last: rated against the one before it
    expect(m.readings).toHaveLength(3);
    expect(s.node.cpu.usageNanoCores).toBe(CORE);
    expect(s.pods[0]!.cpu.usageNanoCores).toBe(0.1 * CORE);
  });

  it('caps the node at its CPUs (tick rounding can read a hair over when all are busy)', async () => {
    const m = fakeMachine({ nodeCores: 2.01, containerCores: 0, containers: [], containerReadMs: () => 10 });
    const s = await new StatsCollector({ ...m.sources, nodeCpus: 2 }).summary();
    expect(s.node.cpu.usageNanoCores).toBe(2 * CORE);
  });

  it('gives no rate for a container reading the engine did not stamp', async () => {
    let cpu = 0;
    let t = T0;
    const collector = new StatsCollector({
      nodeName: 'n1',
      containers: async () => [
        {
          namespace: 'default',
          pod: 'odd',
          container: 'c',
          stats: {
            cpuUsageNanos: (cpu += 1e9),
            memoryWorkingSetBytes: 5,
            memoryUsageBytes: 5,
            timestamp: '0001-01-01T00:00:00Z',
          },
        },
      ],
      podUid: () => undefined,
      nodeCpuNanos: async () => 0,
      nodeMemoryBytes: async () => 0,
      now: () => t,
      sleep: async (ms) => void (t += ms),
    });
    const s = await collector.summary();
    expect(s.pods[0]).toMatchObject({ podRef: { uid: '' }, cpu: { usageNanoCores: 0 } });
    expect(s.pods[0]!.memory.workingSetBytes).toBe(5);
  });

  it.runIf(process.platform === 'linux')(
    'agrees with /proc/stat on the real node while busy and the engine is slow',
    async () => {
      const cores = os.cpus().length;
      const busy = () => busyNanosFromProcStat(readFileSync('/proc/stat', 'utf8'));
      // One core kept busy by us (others may add to it); the "engine" answers slowly, then quickly.
      const burner = new Worker('for (;;) {}', { eval: true });
      try {
        const delays = [1_500, 100];
        const collector = new StatsCollector({
          nodeName: 'real',
          containers: async () => {
            await new Promise((r) => setTimeout(r, delays.shift() ?? 100));
            return [];
          },
          podUid: () => undefined,
        });
        // The collector's window runs from its first /proc/stat reading (at once) to its second
        // (after 1.5 s + 1 s); ours brackets it, 0.1 s longer.
        const before = { busy: busy(), at: performance.now() };
        const s = await collector.summary();
        const truth = (busy() - before.busy) / ((performance.now() - before.at) / 1000);
        const used = s.node.cpu.usageNanoCores;
        expect(used).toBeGreaterThan(0.8 * CORE);
        expect(used).toBeLessThanOrEqual(cores * CORE);
        expect(used / truth).toBeGreaterThan(0.8);
        expect(used / truth).toBeLessThan(1.25);
      } finally {
        await burner.terminate();
      }
    },
    15_000,
  );
});
