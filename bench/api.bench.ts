// API server benchmarks (issue: control plane core): pod creates/s and p99 latency with 64 concurrent
// HTTPS clients; listing 10,000 pods (time, server memory); watch fan-out to 500 watchers. The
// server runs as its own `flotilla server` process with the default durable sqlite store.
import { performance } from 'node:perf_hooks';
import { startServerProcess } from './lib/control-plane-process';
import type { HttpsClient } from './lib/control-plane-process';
import { closedLoop } from './lib/load';
import type { BenchRow } from './lib/results';
import { median, percentile, round } from './lib/stats';

const CONCURRENCY = 64;
const CREATE_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const LIST_SIZE = 10_000;
const WATCHERS = 500;
const FANOUT_ROUNDS = 20;

function pod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'web' } },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'flotilla.test/busybox:1',
          command: ['httpd', '-f', '-p', '80'],
          ports: [{ containerPort: 80, name: 'http' }],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
          env: [{ name: 'MODE', value: 'bench' }],
        },
      ],
    },
  };
}

async function expectStatus(client: HttpsClient, method: string, path: string, body: unknown, ok: number[]) {
  const res = await client.request(method, path, body);
  if (!ok.includes(res.status))
    throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return res;
}

// The API server alone: no scheduler or controllers adding their own writes to the measurement.
const SERVER_ARGS = ['--disable', 'scheduler,controllers'];

export async function run(): Promise<BenchRow[]> {
  // Creates run against one server; the list and fan-out against a fresh one holding exactly
  // LIST_SIZE pods, so their figures do not depend on how many pods the create runs happened to make.
  const rows = await measureCreates();
  rows.push(...(await measureListAndFanout()));
  return rows;
}

async function measureCreates(): Promise<BenchRow[]> {
  const server = await startServerProcess({ args: SERVER_ARGS });
  const { client } = server;
  const rows: BenchRow[] = [];
  try {
    await expectStatus(
      client,
      'POST',
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
      [201],
    );

    // Creates: closed loop, 64 clients, repeated; medians of the runs.
    let created = 0;
    const rates: number[] = [];
    const p99s: number[] = [];
    const p50s: number[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      const result = await closedLoop(CONCURRENCY, CREATE_SECONDS * 1000, async () => {
        const name = `p-${created++}`;
        await expectStatus(client, 'POST', '/api/v1/namespaces/bench/pods', pod(name), [201]);
      });
      rates.push(result.opsPerSecond);
      p99s.push(percentile(result.latencies, 99));
      p50s.push(percentile(result.latencies, 50));
    }
    const rate = median(rates);
    const p99 = median(p99s);
    rows.push({
      name: `pod creates/s (${CONCURRENCY} clients, HTTPS)`,
      value: round(rate),
      unit: 'creates/s',
      goal: '>= 3000',
      meetsGoal: rate >= 3000,
    });
    rows.push({ name: 'pod create p50 latency', value: round(median(p50s)), unit: 'ms' });
    rows.push({
      name: 'pod create p99 latency',
      value: round(p99),
      unit: 'ms',
      goal: '<= 50',
      meetsGoal: p99 <= 50,
    });

    return rows;
  } finally {
    await server.stop();
  }
}

async function measureListAndFanout(): Promise<BenchRow[]> {
  const server = await startServerProcess({ args: SERVER_ARGS });
  const { client } = server;
  const rows: BenchRow[] = [];
  try {
    for (const ns of ['bench', 'fanout']) {
      await expectStatus(
        client,
        'POST',
        '/api/v1/namespaces',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        [201],
      );
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < LIST_SIZE) {
          await expectStatus(client, 'POST', '/api/v1/namespaces/bench/pods', pod(`p-${next++}`), [201]);
        }
      }),
    );
    const count = LIST_SIZE;
    const rssBefore = server.rssBytes();
    const listTimes: number[] = [];
    let peakRss = rssBefore;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await expectStatus(client, 'GET', '/api/v1/namespaces/bench/pods', undefined, [200]);
      listTimes.push(performance.now() - t0);
      const items = (JSON.parse(res.body) as { items: unknown[] }).items.length;
      if (items !== count) throw new Error(`list returned ${items} pods, expected ${count}`);
      peakRss = Math.max(peakRss, server.rssBytes());
    }
    rows.push({
      name: `list ${count} pods (full JSON over HTTPS)`,
      value: round(median(listTimes)),
      unit: 'ms',
    });
    rows.push({ name: `server RSS holding ${count} pods`, value: round(peakRss / 2 ** 20), unit: 'MiB' });

    // Fan-out: 500 watchers on one namespace; each round changes one pod and times until all saw it.
    await expectStatus(client, 'POST', '/api/v1/namespaces/fanout/pods', pod('target'), [201]);
    const rv = (
      JSON.parse(
        (await expectStatus(client, 'GET', '/api/v1/namespaces/fanout/pods', undefined, [200])).body,
      ) as {
        metadata: { resourceVersion: string };
      }
    ).metadata.resourceVersion;
    // Events are counted per resourceVersion as they arrive, so ones that beat the PATCH response count too.
    const seen = new Map<string, number>();
    let target: { rv: string; done: () => void } | undefined;
    const closers: (() => void)[] = [];
    for (let i = 0; i < WATCHERS; i++) {
      closers.push(
        await client.stream(`/api/v1/namespaces/fanout/pods?watch=1&resourceVersion=${rv}`, (line) => {
          const evRv = (JSON.parse(line) as { object: { metadata: { resourceVersion: string } } }).object
            .metadata.resourceVersion;
          const n = (seen.get(evRv) ?? 0) + 1;
          seen.set(evRv, n);
          if (n === WATCHERS && target?.rv === evRv) target.done();
        }),
      );
    }
    const fanout: number[] = [];
    for (let round_ = 0; round_ < FANOUT_ROUNDS; round_++) {
      const t0 = performance.now();
      const res = await client.request(
        'PATCH',
        '/api/v1/namespaces/fanout/pods/target',
        { metadata: { labels: { round: String(round_) } } },
        { 'Content-Type': 'application/merge-patch+json' },
      );
      const writeRv = (JSON.parse(res.body) as { metadata: { resourceVersion: string } }).metadata
        .resourceVersion;
      if ((seen.get(writeRv) ?? 0) < WATCHERS) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`fan-out timed out: ${seen.get(writeRv) ?? 0}/${WATCHERS}`)),
            30_000,
          );
          target = { rv: writeRv, done: () => (clearTimeout(timer), resolve()) };
        });
      }
      fanout.push(performance.now() - t0);
      target = undefined;
    }
    for (const close of closers) close();
    rows.push({
      name: `watch fan-out to ${WATCHERS} watchers (median)`,
      value: round(median(fanout)),
      unit: 'ms',
      goal: '<= 100',
      meetsGoal: median(fanout) <= 100,
    });
    rows.push({
      name: `watch fan-out to ${WATCHERS} watchers (p99)`,
      value: round(percentile(fanout, 99)),
      unit: 'ms',
    });
    return rows;
  } finally {
    await server.stop();
  }
}
