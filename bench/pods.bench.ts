// Pods on one real node: startup latency next to the raw engine, churn, and the agent's memory.
//
// Set-up, as a user runs it: `flotilla server` as its own process (API server, scheduler and
// controllers: pods are created without a node and scheduled), and the agent bundle built fresh from
// the sources (scripts/build-agent.ts) run as a plain `node agent.mjs --config …` child process —
// the same artifact and the same node binary `flotilla node add docker` runs in its container (host
// network, host PID, the engine's socket), so the per-pod work is identical, while its RSS is its own
// process's and its names (network, bridge, iptables chains, pod CIDR) are this bench's alone: `node
// add docker` allows one Docker node per engine with fixed names, which would collide with the
// end-to-end suites others run on this machine. The service proxy is on (iptables, as root).
//
// 1. Startup latency, image present: pods created one after another (the next once the previous is
//    Ready), no readiness probe, so Ready = all containers started. Timed from the create request
//    being sent to the Running phase / Ready condition seen on a watch. Interleaved with the raw
//    engine in the same run (the order alternates): dockerode createContainer + start of the same
//    image and command on the default bridge, timed to `inspect` showing State.Running.
// 2. Memory and stats: with those pods running, the agent's RSS (/proc/PID/status) each second, and
//    /stats/summary called directly every few seconds while CPU burners keep every core busy: the
//    node's CPU must stay within [0, cores × 1000m] and match /proc/stat read here over the same
//    intervals.
// 3. Churn: pods created at a fixed rate (open loop), each deleted once seen Running; then the time
//    until nothing is left: no pod objects, no containers with the node's label, no endpoints (pod
//    IPs) on the pod network, no pod folders.
// Everything made is removed at the end (the agent's own teardown: containers, network, chains).
// Each phase's rows are printed as soon as they are measured; every engine call at the edges is
// bounded, so a wedged engine ends the bench with a FAILED row instead of hanging it.
//
// Docker engines before 28.1 (Debian 12's 20.10) deadlocked libnetwork when this churn's sandbox
// starts and removals hit one network all at once (moby#42119 class). The agent now bounds its
// changing engine calls (runtime/engine-limiter.ts, 8 at once by default), and the full churn (500
// pods at 20/s) completed here with nothing leaked; should an engine still wedge, every engine call
// at the bench's edges is bounded, so it ends with a FAILED row rather than hanging.
//
// The agent runs with FLOTILLA_AGENT_TRACE=1: its log says when each pod reached each stage of its
// start (seen on the watch, sync begun, sandbox created/started, app container created/started,
// status computed and patched), which gives the breakdown of where create → Running goes.
//
// Settings: BENCH_PODS (100), BENCH_CHURN_PODS (500), BENCH_CHURN_RATE (20/s),
// BENCH_MEMORY_SECONDS (30), BENCH_BURNERS (one per core), BENCH_SETTLE_TIMEOUT_SECONDS (900: at a
// load of 26 on 2 cores the 500-pod churn took 313 s to settle);
// `npm run bench -- pods --quick` (or BENCH_QUICK=1) for a small run: 10 pods, a churn of 60, 10 s.
// FLOTILLA_AGENT_ENGINE_CONCURRENCY is passed on to the agent (its engine call limit, default 8);
// BENCH_AGENT_BUNDLE=PATH runs that agent.mjs instead of one built fresh from the sources;
// BENCH_AGENT_NODE_FLAGS="--max-old-space-size=128 …" starts it with those node options instead of the
// ones every launcher uses (AGENT_NODE_OPTIONS).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import Docker from 'dockerode';
import { AGENT_NODE_OPTIONS } from '../src-main/shared/agent-api';
import { parseAgentConfig } from '../src-main/agent/config';
import type { AgentConfig } from '../src-main/agent/config';
import { systemIptables } from '../src-main/agent/network/iptables';
import { chainsInSave } from '../src-main/agent/network/rules';
import { LABEL } from '../src-main/agent/runtime/labels';
import { busyNanosFromProcStat } from '../src-main/agent/server/stats';
import { teardownNode } from '../src-main/agent/teardown';
import {
  issueClientCertificate,
  issueServingCertificate,
  loadCertificateAuthority,
  nodeIdentity,
} from '../src-main/control-plane/apiserver/pki';
import type { IssuedCertificate } from '../src-main/control-plane/apiserver/pki';
import { APISERVER_CLIENT_CN, agentPaths } from '../src-main/shared/agent-api';
import type { StatsSummary } from '../src-main/shared/agent-api';
import { createInformer } from '../src-main/shared/kube/informer';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { ensureTestImages, TEST_IMAGE } from '../tests/support/docker';
import { parseAgentTrace } from './lib/agent-trace';
import type { PodTraces } from './lib/agent-trace';
import { startServerProcess } from './lib/control-plane-process';
import type { ServerProcess } from './lib/control-plane-process';
import type { BenchRow } from './lib/results';
import { median, percentile, round } from './lib/stats';
import { formatTable } from './lib/table';

const PODS = RESOURCES.find((r) => r.group === '' && r.kind === 'Pod') as ResourceInfo;
const NODES = RESOURCES.find((r) => r.group === '' && r.kind === 'Node') as ResourceInfo;

// This bench's own names, so it never shares a network, bridge, subnet or chain with a real node.
const NODE = 'bench-pods';
const NETWORK = 'flotilla-bench-pods';
const BRIDGE = 'flbench0';
const CHAIN_PREFIX = 'FLBENCH';
const POD_CIDR = '10.244.224.0/22'; // room for the churn's backlog
const NS = 'default';
const RAW_LABEL = 'dev.flotilla.bench';
const RAW_VALUE = 'pods-raw';
// A well-behaved app: exits on SIGTERM (a bare `sleep` as PID 1 ignores it and waits out the grace).
const COMMAND = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];

const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exec = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;

interface PodLike extends KubeObjectLike {
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string; [field: string]: unknown };
  status?: { phase?: string; conditions?: { type: string; status: string }[]; podIP?: string };
}

function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function procBusyNanos(): number {
  return busyNanosFromProcStat(readFileSync('/proc/stat', 'utf8'));
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function podManifest(name: string, group: string): PodLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { bench: group } },
    spec: {
      containers: [{ name: 'main', image: TEST_IMAGE, command: COMMAND }],
      terminationGracePeriodSeconds: 10,
    },
  };
}

/** Watches the bench's pods and resolves waiters when a pod is first seen Running / Ready / gone. */
class PodWatch {
  readonly bound = new Map<string, number>();
  readonly running = new Map<string, number>();
  readonly ready = new Map<string, number>();
  readonly gone = new Map<string, number>();
  private readonly waiters: { test: () => boolean; resolve: () => void }[] = [];
  private readonly onRunning: ((name: string) => void)[] = [];
  private readonly informer;

  constructor(api: KubeApi) {
    this.informer = createInformer<PodLike>(api, PODS, { namespace: NS, labelSelector: 'bench' });
    const seen = (p: PodLike) => {
      const now = performance.now();
      const name = p.metadata.name;
      if (p.spec?.nodeName && !this.bound.has(name)) this.bound.set(name, now);
      if (p.status?.phase === 'Running' && !this.running.has(name)) {
        this.running.set(name, now);
        for (const f of this.onRunning) f(name);
      }
      if (
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        !this.ready.has(name)
      )
        this.ready.set(name, now);
      this.check();
    };
    this.informer.addHandlers({
      onAdd: seen,
      onUpdate: (_old, p) => seen(p),
      onDelete: (p) => {
        this.gone.set(p.metadata.name, performance.now());
        this.check();
      },
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  whenRunning(f: (name: string) => void): void {
    this.onRunning.push(f);
  }

  pods(): PodLike[] {
    return this.informer.lister.list(NS);
  }

  until(test: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      if (w.test()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
}

/** When the engine created and started each pod's sandbox and app container (its events' own times). */
class EngineEvents {
  readonly times = new Map<
    string,
    Partial<Record<'sandbox-create' | 'sandbox-start' | 'app-create' | 'app-start', number>>
  >();
  private stream?: NodeJS.ReadableStream & { destroy?: () => void };

  async start(docker: Docker): Promise<void> {
    this.stream = (await docker.getEvents({
      filters: { type: ['container'], event: ['create', 'start'], label: [`${LABEL.node}=${NODE}`] },
    })) as NodeJS.ReadableStream & { destroy?: () => void };
    let buffered = '';
    this.stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) this.record(JSON.parse(line) as DockerEvent);
      }
    });
    this.stream.on('error', () => undefined);
  }

  private record(e: DockerEvent): void {
    const attrs = e.Actor?.Attributes ?? {};
    const pod = attrs[LABEL.podName];
    const kind = attrs[LABEL.kind] === 'sandbox' ? 'sandbox' : 'app';
    if (!pod || (e.Action !== 'create' && e.Action !== 'start') || e.timeNano === undefined) return;
    // The engine's wall-clock time on this bench's monotonic scale.
    const at = e.timeNano / 1e6 - performance.timeOrigin;
    const t = this.times.get(pod) ?? {};
    t[`${kind}-${e.Action}`] ??= at;
    this.times.set(pod, t);
  }

  stop(): void {
    this.stream?.destroy?.();
  }
}

interface DockerEvent {
  Action?: string;
  timeNano?: number;
  Actor?: { Attributes?: Record<string, string> };
}

interface Node {
  status?: {
    conditions?: { type: string; status: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

/** The agent bundle as a child process, with its certificates and config in `dir`. */
interface AgentProcess {
  child: ChildProcess;
  config: AgentConfig;
  port: number;
  apiserverClient: IssuedCertificate;
  caPem: string;
  stop(): Promise<void>;
}

/**
 * The agent's own teardown (containers, pod network, chains). Docker engines before 28.1 can lose
 * count of a network's endpoints when containers start and are removed on it at once (moby#42119):
 * the network then shows no containers but cannot be removed until the engine restarts. That is
 * reported, not fatal: the bench reuses the network on its next run.
 */
async function teardown(config: AgentConfig): Promise<void> {
  try {
    await bounded('the agent’s teardown', teardownNode(config), 180_000);
  } catch (err) {
    console.warn(`teardown: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function startAgentProcess(cp: ServerProcess, api: KubeApi, dir: string): Promise<AgentProcess> {
  // BENCH_AGENT_BUNDLE: measure a given agent.mjs (e.g. one built with other settings) instead.
  if (process.env.BENCH_AGENT_BUNDLE) await copyFile(process.env.BENCH_AGENT_BUNDLE, join(dir, 'agent.mjs'));
  else
    await exec(
      process.execPath,
      ['--import', 'tsx', 'scripts/build-agent.ts', '--outfile', join(dir, 'agent.mjs')],
      { cwd: repoRoot },
    );
  const pki = join(cp.dataDir, 'pki');
  const caPem = await readFile(join(pki, 'ca.crt'), 'utf8');
  const ca = await loadCertificateAuthority(caPem, await readFile(join(pki, 'ca.key'), 'utf8'));
  const client = await issueClientCertificate(ca, nodeIdentity(NODE));
  const serving = await issueServingCertificate(ca, {
    commonName: `system:node:${NODE}`,
    sans: { dnsNames: [NODE, 'localhost'], ips: ['127.0.0.1'] },
  });
  const apiserverClient = await issueClientCertificate(ca, { commonName: APISERVER_CLIENT_CN });
  const raw = {
    apiServer: cp.url,
    nodeName: NODE,
    caPem,
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    listenAddress: '127.0.0.1',
    port: 0,
    rootDir: join(dir, 'state'),
    networkName: NETWORK,
    bridgeName: BRIDGE,
    proxy: { chainPrefix: CHAIN_PREFIX },
    // Its own cluster CIDR too: the agent's pod-to-pod rules and routes are keyed by it.
    clusterCIDR: POD_CIDR,
  };
  const config = parseAgentConfig(raw);
  // Whatever an interrupted earlier run left behind.
  await teardown(config);
  await writeFile(join(dir, 'config.json'), JSON.stringify(raw), { mode: 0o600 });

  // The node IPAM controller would hand out the cluster's first /24, which a real node on this engine
  // may be using; the Node is made first with a subnet of the bench's own.
  await api.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE },
    spec: { podCIDR: POD_CIDR, podCIDRs: [POD_CIDR] },
  });

  const log = createWriteStream(join(dir, 'agent.log'));
  // The node options the launchers use, unless BENCH_AGENT_NODE_FLAGS gives others to measure.
  const nodeFlags =
    process.env.BENCH_AGENT_NODE_FLAGS !== undefined
      ? process.env.BENCH_AGENT_NODE_FLAGS.split(/\s+/).filter(Boolean)
      : [...AGENT_NODE_OPTIONS];
  const child = spawn(
    process.execPath,
    [...nodeFlags, join(dir, 'agent.mjs'), '--config', join(dir, 'config.json')],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        FLOTILLA_AGENT_TRACE: '1',
        ...(process.env.FLOTILLA_AGENT_V8_FLAGS
          ? { FLOTILLA_AGENT_V8_FLAGS: process.env.FLOTILLA_AGENT_V8_FLAGS }
          : {}),
        ...(process.env.FLOTILLA_AGENT_ENGINE_CONCURRENCY
          ? { FLOTILLA_AGENT_ENGINE_CONCURRENCY: process.env.FLOTILLA_AGENT_ENGINE_CONCURRENCY }
          : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr!.pipe(log);
  const node = await waitUntil(
    'the agent’s Node to be Ready',
    async () => {
      if (child.exitCode !== null)
        throw new Error(`the agent exited (${child.exitCode}); see ${dir}/agent.log`);
      const n = await api.get<Node & KubeObjectLike>(NODES, NODE).catch(() => undefined);
      return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    },
    60_000,
    200,
  );
  return {
    child,
    config,
    port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0,
    apiserverClient,
    caPem,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
    },
  };
}

function statsSummary(agent: AgentProcess): Promise<StatsSummary> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: agent.port,
        path: agentPaths.statsSummary,
        ca: agent.caPem,
        cert: agent.apiserverClient.certPem,
        key: agent.apiserverClient.keyPem,
        timeout: 30_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(body) as StatsSummary)
            : reject(new Error(`/stats/summary: HTTP ${res.statusCode}: ${body}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('/stats/summary: timeout')));
    req.on('error', reject);
    req.end();
  });
}

// ------------------------------------------------------------------------------------------ phases

interface Latency {
  /** When each pod's create request was sent. */
  created: Map<string, number>;
  running: number[];
  ready: number[];
  raw: number[];
  load: number[];
}

async function startupLatency(
  api: KubeApi,
  docker: Docker,
  watch: PodWatch,
  count: number,
): Promise<Latency> {
  const out: Latency = { created: new Map(), running: [], ready: [], raw: [], load: [] };
  const ours = async (i: number) => {
    const name = `lat-${i}`;
    const t0 = performance.now();
    out.created.set(name, t0);
    await api.create(PODS, podManifest(name, 'lat'), NS);
    await watch.until(
      () => watch.running.has(name) && watch.ready.has(name),
      `pod ${name} to be Ready`,
      60_000,
    );
    out.running.push(watch.running.get(name)! - t0);
    out.ready.push(watch.ready.get(name)! - t0);
  };
  const raw = async (i: number) => {
    const t0 = performance.now();
    const c = await bounded(
      'docker create',
      docker.createContainer({
        name: `bench-raw-${i}`,
        Image: TEST_IMAGE,
        Cmd: COMMAND,
        Labels: { [RAW_LABEL]: RAW_VALUE },
      }),
      60_000,
    );
    await bounded('docker start', c.start(), 60_000);
    await waitUntil('the raw container to run', async () => (await c.inspect()).State.Running, 60_000, 10);
    out.raw.push(performance.now() - t0);
  };
  for (let i = 0; i < count; i++) {
    // Alternate who goes first, so neither always runs right after the other's work.
    if (i % 2 === 0) {
      await ours(i);
      await raw(i);
    } else {
      await raw(i);
      await ours(i);
    }
    if (i % 10 === 0) out.load.push(loadAverage());
  }
  return out;
}

/** Where a pod's startup time goes: medians of each stage over the latency pods. */
function breakdown(lat: Latency, watch: PodWatch, engine: EngineEvents): { stage: string; ms: number }[] {
  const stages: [string, (n: string) => [number | undefined, number | undefined]][] = [
    [
      'create sent → bound to the node (API server + scheduler)',
      (n) => [lat.created.get(n), watch.bound.get(n)],
    ],
    [
      'bound → sandbox created (agent sees the pod, prepares)',
      (n) => [watch.bound.get(n), engine.times.get(n)?.['sandbox-create']],
    ],
    [
      'sandbox created → started (engine: network, runc)',
      (n) => [engine.times.get(n)?.['sandbox-create'], engine.times.get(n)?.['sandbox-start']],
    ],
    // The app container is created while the sandbox starts (the agent trace shows when), so the
    // engine's next step is its start.
    [
      'sandbox started → app container started (engine)',
      (n) => [engine.times.get(n)?.['sandbox-start'], engine.times.get(n)?.['app-start']],
    ],
    [
      'app started → Running seen on a watch (status write)',
      (n) => [engine.times.get(n)?.['app-start'], watch.running.get(n)],
    ],
  ];
  return stages.map(([stage, of]) => {
    const spans: number[] = [];
    for (const name of lat.created.keys()) {
      const [a, b] = of(name);
      if (a !== undefined && b !== undefined) spans.push(b - a);
    }
    return { stage, ms: median(spans) };
  });
}

/** Where a pod's startup time goes, from the agent's own trace: medians of each stage. */
function traceBreakdown(lat: Latency, watch: PodWatch, traces: PodTraces): { stage: string; ms: number }[] {
  const at = (n: string, stage: string) => traces.get(n)?.get(stage);
  const stages: [string, (n: string) => [number | undefined, number | undefined]][] = [
    [
      'create sent → agent sees the pod (API server, scheduler, watch)',
      (n) => [lat.created.get(n), at(n, 'seen')],
    ],
    ['agent sees the pod → its sync begins', (n) => [at(n, 'seen'), at(n, 'sync')]],
    [
      'sync begins → sandbox created (volumes, IP, engine create)',
      (n) => [at(n, 'sync'), at(n, 'sandbox-created')],
    ],
    [
      'sandbox created → app container created (during the sandbox start)',
      (n) => [at(n, 'sandbox-created'), at(n, 'created_main')],
    ],
    [
      'sandbox created → sandbox started (engine start)',
      (n) => [at(n, 'sandbox-created'), at(n, 'sandbox-started')],
    ],
    [
      'sandbox started → app container started (engine start)',
      (n) => [at(n, 'sandbox-started'), at(n, 'started_main')],
    ],
    [
      'app started → Running status computed (runtime listing)',
      (n) => [at(n, 'started_main'), at(n, 'status_Running')],
    ],
    [
      'Running computed → status patch accepted (API server)',
      (n) => [at(n, 'status_Running'), at(n, 'patched_Running')],
    ],
    [
      'patch accepted → Running seen on the bench’s watch',
      (n) => [at(n, 'patched_Running'), watch.running.get(n)],
    ],
  ];
  return stages.map(([stage, of]) => {
    const spans: number[] = [];
    for (const name of lat.created.keys()) {
      const [a, b] = of(name);
      if (a !== undefined && b !== undefined) spans.push(b - a);
    }
    return { stage: `agent trace: ${stage}`, ms: median(spans) };
  });
}

interface Memory {
  rssMedian: number;
  rssPeak: number;
  nodeCpu: number[];
  truth: number[];
  summaryMs: number[];
  pods: number;
  load: number[];
}

async function memoryAndStats(agent: AgentProcess, seconds: number, burners: number): Promise<Memory> {
  const workers = Array.from({ length: burners }, () => new Worker('for (;;) {}', { eval: true }));
  const out: Memory = { rssMedian: 0, rssPeak: 0, nodeCpu: [], truth: [], summaryMs: [], pods: 0, load: [] };
  const rss: number[] = [];
  try {
    const end = performance.now() + seconds * 1000;
    let last = { at: performance.now(), busy: procBusyNanos() };
    let nextSummary = 0;
    while (performance.now() < end) {
      rss.push(rssBytes(agent.child.pid!));
      if (performance.now() >= nextSummary) {
        const now = { at: performance.now(), busy: procBusyNanos() };
        const t0 = performance.now();
        const s = await statsSummary(agent);
        out.summaryMs.push(performance.now() - t0);
        out.pods = s.pods.length;
        out.nodeCpu.push(s.node.cpu.usageNanoCores / 1e6);
        // What /proc/stat says over (about) the interval the agent measured: since the last call.
        out.truth.push((now.busy - last.busy) / 1e6 / ((now.at - last.at) / 1000));
        out.load.push(loadAverage());
        last = now;
        nextSummary = performance.now() + 5_000;
      }
      await sleep(1_000);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  // The first summary's window starts before the bench's first /proc/stat reading: not comparable.
  out.nodeCpu.shift();
  out.truth.shift();
  out.rssMedian = median(rss) / 1e6;
  out.rssPeak = Math.max(...rss) / 1e6;
  return out;
}

interface Leftovers {
  pods: number;
  containers: number;
  endpoints: number;
  podDirs: number;
}

async function leftovers(api: KubeApi, docker: Docker, rootDir: string): Promise<Leftovers> {
  const pods = (await api.list(PODS, { namespace: NS, labelSelector: 'bench' })).items.length;
  const containers = (
    await docker.listContainers({ all: true, filters: { label: [`${LABEL.node}=${NODE}`] } })
  ).length;
  const net = (await docker.getNetwork(NETWORK).inspect()) as Docker.NetworkInspectInfo;
  const endpoints = Object.keys(net.Containers ?? {}).length;
  const podDirs = await readdir(join(rootDir, 'pods')).then(
    (d) => d.length,
    () => 0,
  );
  return { pods, containers, endpoints, podDirs };
}
const total = (l: Leftovers) => l.pods + l.containers + l.endpoints + l.podDirs;

async function deleteAll(api: KubeApi, names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 20)
    await Promise.all(names.slice(i, i + 20).map((n) => api.delete(PODS, n, NS).catch(() => undefined)));
}

interface Churn {
  created: number;
  createErrors: number;
  reachedRunning: number;
  createRate: number;
  settleSeconds: number;
  left: Leftovers;
  load: number[];
}

async function churn(
  api: KubeApi,
  docker: Docker,
  watch: PodWatch,
  rootDir: string,
  count: number,
  rate: number,
  settleTimeoutMs: number,
): Promise<Churn> {
  const names = Array.from({ length: count }, (_, i) => `churn-${i}`);
  const wanted = new Set(names);
  const load: number[] = [];
  let createErrors = 0;
  watch.whenRunning((name) => {
    if (wanted.has(name)) void api.delete(PODS, name, NS).catch(() => undefined);
  });
  const start = performance.now();
  const interval = 1000 / rate;
  for (let i = 0; i < count; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    void api.create(PODS, podManifest(names[i]!, 'churn'), NS).catch(() => createErrors++);
    if (i % 40 === 0) load.push(loadAverage());
  }
  const lastCreate = performance.now();
  const createRate = (count - 1) / ((lastCreate - start) / 1000);
  let left: Leftovers = { pods: count, containers: 0, endpoints: 0, podDirs: 0 };
  let settled: number | undefined;
  const deadline = lastCreate + settleTimeoutMs;
  let nextLoad = performance.now() + 2_000;
  while (performance.now() < deadline) {
    const running = names.filter((n) => watch.running.has(n)).length;
    if (running + createErrors >= count) {
      left = await bounded('leftovers', leftovers(api, docker, rootDir), 30_000);
      if (total(left) === 0) {
        settled = performance.now();
        break;
      }
    }
    if (performance.now() > nextLoad) {
      load.push(loadAverage());
      nextLoad += 2_000;
    }
    await sleep(100);
  }
  if (settled === undefined) left = await bounded('leftovers', leftovers(api, docker, rootDir), 30_000);
  return {
    created: count - createErrors,
    createErrors,
    reachedRunning: names.filter((n) => watch.running.has(n)).length,
    createRate,
    settleSeconds: settled === undefined ? NaN : (settled - lastCreate) / 1000,
    left,
    load,
  };
}

// --------------------------------------------------------------------------------------------- run

type Rows = BenchRow[];
const r = round;

function latencyRows(
  count: number,
  lat: Latency,
  stages: { stage: string; ms: number }[],
  cores: number,
): Rows {
  const runP50 = percentile(lat.running, 50);
  const rawP50 = percentile(lat.raw, 50);
  const runP99 = percentile(lat.running, 99);
  const readyP50 = percentile(lat.ready, 50);
  const readyP99 = percentile(lat.ready, 99);
  const rawP99 = percentile(lat.raw, 99);
  const peer = 'docker create+start (dockerode) → State.Running';
  return [
    {
      name: `pod startup → Running, p50 (${count} pods, one at a time, no readiness probe)`,
      value: r(runP50),
      unit: 'ms',
      peer,
      peerValue: r(rawP50),
      ratio: r(runP50 / rawP50),
      goal: '<= 1.5× peer',
      meetsGoal: runP50 / rawP50 <= 1.5,
    },
    {
      name: 'pod startup → Running, p99',
      value: r(runP99),
      unit: 'ms',
      peer,
      peerValue: r(rawP99),
      ratio: r(runP99 / rawP99),
      goal: '<= 2000',
      meetsGoal: runP99 <= 2000,
    },
    {
      name: 'pod startup → Ready, p50',
      value: r(readyP50),
      unit: 'ms',
      peer,
      peerValue: r(rawP50),
      ratio: r(readyP50 / rawP50),
    },
    {
      name: 'pod startup → Ready, p99',
      value: r(readyP99),
      unit: 'ms',
      goal: '<= 2000',
      meetsGoal: readyP99 <= 2000,
    },
    ...stages.map((st) => ({ name: `  stage: ${st.stage}, median`, value: r(st.ms), unit: 'ms' })),
    {
      name: 'load average (1 min) during startup latency, median',
      value: r(median(lat.load)),
      unit: `on ${cores} cores`,
    },
  ];
}

function memoryRows(count: number, seconds: number, burners: number, mem: Memory, cores: number): Rows {
  const cpuMax = Math.max(...mem.nodeCpu);
  const cpuMin = Math.min(...mem.nodeCpu);
  const agreement = median(mem.nodeCpu) / median(mem.truth);
  return [
    { name: `agent RSS with ${count} pods, median over ${seconds} s`, value: r(mem.rssMedian), unit: 'MB' },
    {
      name: `agent RSS with ${count} pods, peak`,
      value: r(mem.rssPeak),
      unit: 'MB',
      goal: '<= 80',
      meetsGoal: mem.rssPeak <= 80,
    },
    {
      name: `/stats/summary time with ${mem.pods} pods, median`,
      value: r(median(mem.summaryMs)),
      unit: 'ms',
    },
    {
      name: `node CPU from /stats/summary with ${burners} burners, median`,
      value: r(median(mem.nodeCpu)),
      unit: 'millicores',
      peer: '/proc/stat read by the bench',
      peerValue: r(median(mem.truth)),
      ratio: r(agreement),
      goal: 'within ±10% of peer',
      meetsGoal: Math.abs(agreement - 1) <= 0.1,
    },
    {
      name: `node CPU from /stats/summary, range of ${mem.nodeCpu.length} readings`,
      value: r(cpuMax),
      unit: `millicores (min ${r(cpuMin)})`,
      goal: `within [0, ${cores * 1000}]`,
      meetsGoal: cpuMin >= 0 && cpuMax <= cores * 1000,
    },
    {
      name: 'load average (1 min) during memory/stats, median',
      value: r(median(mem.load)),
      unit: `on ${cores} cores`,
    },
  ];
}

function churnRows(count: number, rate: number, ch: Churn, cores: number): Rows {
  const leaked = total(ch.left);
  return [
    {
      name: `churn: pods that reached Running (created at ${rate}/s, deleted once Running)`,
      value: ch.reachedRunning,
      unit: `of ${count}`,
      goal: `= ${count}`,
      meetsGoal: ch.reachedRunning === count && ch.createErrors === 0,
    },
    { name: 'churn: create rate achieved', value: r(ch.createRate), unit: '/s' },
    { name: 'churn: time to settle after the last create', value: r(ch.settleSeconds), unit: 's' },
    {
      name: 'churn: leaked afterwards (pod objects + containers + pod IPs + pod folders)',
      value: leaked,
      unit: 'objects',
      goal: '= 0',
      meetsGoal: leaked === 0,
    },
    {
      name: 'load average (1 min) during churn, median',
      value: r(median(ch.load)),
      unit: `on ${cores} cores`,
    },
  ];
}

/** Awaits `p`, or fails after `ms` (a wedged engine must end the bench, not hang it). */
function bounded<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function run(): Promise<BenchRow[]> {
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const count = envNumber('BENCH_PODS', quick ? 10 : 100);
  const churnCount = envNumber('BENCH_CHURN_PODS', quick ? 60 : 500);
  const churnRate = envNumber('BENCH_CHURN_RATE', 20);
  const memorySeconds = envNumber('BENCH_MEMORY_SECONDS', quick ? 10 : 30);
  const cores = os.cpus().length;
  const burners = envNumber('BENCH_BURNERS', cores);
  const settleTimeoutMs = envNumber('BENCH_SETTLE_TIMEOUT_SECONDS', 900) * 1000;
  if (process.getuid?.() !== 0)
    throw new Error('needs root: the agent’s service proxy installs iptables rules');

  const docker = new Docker();
  await bounded('docker ping', docker.ping(), 10_000);
  await ensureTestImages();
  const removeRaw = async () => {
    const raw = await docker.listContainers({ all: true, filters: { label: [`${RAW_LABEL}=${RAW_VALUE}`] } });
    await Promise.all(
      raw.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  };
  await bounded('removing raw containers', removeRaw(), 120_000);

  const dir = await mkdtemp(join(os.tmpdir(), 'flotilla-bench-pods-'));
  await mkdir(join(dir, 'state'), { recursive: true });
  const rows: Rows = [
    { name: 'load average (1 min) before the bench', value: r(loadAverage()), unit: `on ${cores} cores` },
  ];
  const cp = await startServerProcess();
  const { api } = cp.connect();
  let agent: AgentProcess | undefined;
  const watch = new PodWatch(api);
  const engine = new EngineEvents();
  const startedAt = performance.now();
  const phase = (m: string) => console.log(`[${((performance.now() - startedAt) / 1000).toFixed(0)} s] ${m}`);
  // Each phase's figures are printed as soon as they exist, so a later phase that fails (or an
  // engine that stops answering) does not take them along.
  const report = (more: Rows) => {
    rows.push(...more);
    console.log(formatTable(more));
  };
  try {
    agent = await startAgentProcess(cp, api, dir);
    await watch.start();
    await engine.start(docker);
    const a = agent;

    phase(`startup latency: ${count} pods, one after another, next to docker create+start`);
    const lat = await startupLatency(api, docker, watch, count);
    engine.stop();
    const traces = parseAgentTrace(await readFile(join(dir, 'agent.log'), 'utf8'));
    report(
      latencyRows(
        count,
        lat,
        [...breakdown(lat, watch, engine), ...traceBreakdown(lat, watch, traces)],
        cores,
      ),
    );
    await bounded('removing raw containers', removeRaw(), 120_000);

    phase(`agent memory and /stats/summary with ${count} pods, ${burners} CPU burners, ${memorySeconds} s`);
    report(memoryRows(count, memorySeconds, burners, await memoryAndStats(a, memorySeconds, burners), cores));

    phase(`deleting the ${count} pods`);
    await deleteAll(
      api,
      Array.from({ length: count }, (_, i) => `lat-${i}`),
    );
    await waitUntil(
      'the latency pods to be gone',
      async () => total(await bounded('leftovers', leftovers(api, docker, a.config.rootDir), 30_000)) === 0,
      settleTimeoutMs,
      250,
    );

    phase(`churn: ${churnCount} pods at ${churnRate}/s, each deleted once Running`);
    const ch = await churn(api, docker, watch, a.config.rootDir, churnCount, churnRate, settleTimeoutMs);
    phase(`churn settled: ${JSON.stringify(ch.left)}`);
    report(churnRows(churnCount, churnRate, ch, cores));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`bench stopped: ${message}`);
    rows.push({ name: `FAILED: ${message}`, value: NaN, unit: '', meetsGoal: false });
  } finally {
    watch.stop();
    engine.stop();
    const step = async (what: string, f: () => Promise<unknown>, ms: number) => {
      try {
        await bounded(what, f(), ms);
      } catch (err) {
        console.warn(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    // Pods first (so the agent stops them with their grace), then the agent and what it made.
    const left = watch.pods().map((p) => p.metadata.name);
    if (left.length > 0) await step('deleting pods', () => deleteAll(api, left), 60_000);
    await step('stopping the agent', async () => agent?.stop(), 30_000);
    if (agent) await step('the agent’s teardown', () => teardown(agent!.config), 180_000);
    await step('removing raw containers', removeRaw, 120_000);
    await step('stopping flotilla server', () => cp.stop(), 30_000);
    await step(
      'checking what is left',
      async () => {
        const chains = [
          ...chainsInSave(await systemIptables.save('nat'), CHAIN_PREFIX),
          ...chainsInSave(await systemIptables.save('filter'), CHAIN_PREFIX),
        ];
        const containers = await docker.listContainers({
          all: true,
          filters: { label: [`${LABEL.node}=${NODE}`] },
        });
        const network = await docker
          .getNetwork(NETWORK)
          .inspect()
          .then(
            () => 1,
            () => 0,
          );
        console.log(
          `cleanup: left behind ${chains.length} iptables chains, ${containers.length} containers, ${network} pod network`,
        );
      },
      30_000,
    );
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
