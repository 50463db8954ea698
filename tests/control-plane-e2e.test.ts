// The whole control plane end to end: API server, scheduler and every controller running together as
// `flotilla server` runs them, with hollow nodes as the workers and the real kubectl as the user.
// Each case asserts what a user would check (kubectl output, pod placement, events) and waits for
// conditions with deadlines.
// - One shared control plane with shortened node-lifecycle timings (3 s grace, 3 s toleration: the
//   same code as the desktop's 20 s + 30 s, which the failover benchmark measures) for placement,
//   events, Pending-until-a-node-joins, node failure, namespace deletion and rollout commands.
// - Restarts mid-rollout on a fixed data dir: a clean stop of the in-process control plane, and a
//   SIGKILLed `flotilla server` process; the restarted control plane finishes the rollout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import type { CoreEvent, Deployment, Pod, ReplicaSet } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi, KubeObjectLike } from '../src-main/shared/kube/types';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import { resourceFor } from '../src-main/shared/resources';
import type { Node } from '../src-main/control-plane/scheduler/api-types';
import { startFlotillaProcess } from './support/flotilla-process';
import { newDataDir, startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { LEASE_NAMESPACE, startHollowNodes } from './support/hollow-nodes';
import type { HollowNodes } from './support/hollow-nodes';
import { kubectlRunner } from './support/kubectl';
import { guardRollout } from './support/rollout-guard';
import type { RolloutGuard } from './support/rollout-guard';
import { withPodStartDelay } from './support/slow-kubelet';
import { connectSwappable } from './support/swappable-client';
import { requireTool } from './support/tools';
import { rm } from 'node:fs/promises';

const kubectlTool = requireTool('/usr/bin/kubectl', 'kubectl v1.32 at /usr/bin/kubectl');
const KUBECTL = kubectlTool.path ?? '/usr/bin/kubectl';

const PODS = resourceFor('', 'pods');
const NODES = resourceFor('', 'nodes');
const LEASES = resourceFor('coordination.k8s.io', 'leases');
const EVENTS = resourceFor('', 'events');
const NAMESPACES = resourceFor('', 'namespaces');
const SERVICES = resourceFor('', 'services');
const CONFIGMAPS = resourceFor('', 'configmaps');
const SECRETS = resourceFor('', 'secrets');
const ENDPOINTS = resourceFor('', 'endpoints');
const SLICES = resourceFor('discovery.k8s.io', 'endpointslices');
const DEPLOYMENTS = resourceFor('apps', 'deployments');
const REPLICASETS = resourceFor('apps', 'replicasets');

const GRACE_S = 3;
const TOLERATION_S = 3;
const HEARTBEAT_S = 1;
const UNREACHABLE = 'node.kubernetes.io/unreachable';

// --------------------------------------------------------------------------------------- helpers

function deployment(
  name: string,
  namespace: string,
  replicas: number,
  image: string,
  rolling = { maxSurge: 2, maxUnavailable: 1 },
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: rolling },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'main', image, resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
        },
      },
    },
  };
}

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const isRunning = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isReady(p);
const nodeReady = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;

async function ensureNamespace(api: KubeApi, name: string): Promise<void> {
  try {
    await api.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (err) {
    if (!isKubeApiError(err, 409)) throw err;
  }
}

async function podsOf(api: KubeApi, namespace: string, selector: string): Promise<Pod[]> {
  return (await api.list<Pod>(PODS, { namespace, labelSelector: selector })).items;
}

/** Waits until exactly `n` pods match, all Running and Ready (none terminating), and returns them. */
async function waitRunning(
  api: KubeApi,
  namespace: string,
  selector: string,
  n: number,
  timeoutMs = 20_000,
  extra: (pods: Pod[]) => boolean = () => true,
): Promise<Pod[]> {
  return waitFor(
    async () => {
      const pods = await podsOf(api, namespace, selector);
      return pods.length === n && pods.every(isRunning) && extra(pods) ? pods : undefined;
    },
    `${n} running pods ${selector} in ${namespace}`,
    timeoutMs,
    50,
  );
}

async function rolloutDone(api: KubeApi, namespace: string, name: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const d = await api.get<Deployment>(DEPLOYMENTS, name, namespace);
      const s = d.status ?? {};
      const want = d.spec.replicas ?? 1;
      return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
        s.updatedReplicas === want &&
        s.replicas === want &&
        s.availableReplicas === want
        ? d
        : undefined;
    },
    `deployment ${namespace}/${name} rolled out`,
    timeoutMs,
    50,
  );
}

function countBy<T>(items: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of items) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

/** Rows of `kubectl get … --no-headers` split into columns. */
const rows = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/));

// ------------------------------------------------------------------------- the shared control plane

describe.skipIf(Boolean(kubectlTool.skipReason))('the full control plane with hollow nodes', () => {
  let cp: TestControlPlane;
  let api: KubeApi;
  let transport: NodeTransport;
  let fleet: HollowNodes;
  let kubectl: ReturnType<typeof kubectlRunner>;

  beforeAll(async () => {
    cp = await startTestControlPlane({
      components: true,
      controllers: {
        nodeLifecycle: {
          nodeMonitorGracePeriodSeconds: GRACE_S,
          nodeMonitorPeriodSeconds: 0.5,
          defaultTolerationSeconds: TOLERATION_S,
        },
      },
    });
    ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
    fleet = await startHollowNodes(api, {
      count: 3,
      namePrefix: 'e2e-',
      capacity: { cpu: '4', memory: '8Gi', pods: 110 },
      heartbeatSeconds: HEARTBEAT_S,
    });
    kubectl = kubectlRunner(KUBECTL, cp.kubeconfigPath);
  }, 60_000);

  afterAll(async () => {
    await fleet?.stop();
    transport?.close();
    await cp?.dispose();
  });

  it('spreads a Deployment of 6 over 3 nodes 2/2/2 and shows it through kubectl', async () => {
    const ns = 'e2e-spread';
    await ensureNamespace(api, ns);
    await api.create(DEPLOYMENTS, deployment('web', ns, 6, 'web:1'), ns);
    const pods = await waitRunning(api, ns, 'app=web', 6, 20_000, (ps) =>
      ps.every((p) => typeof p.status?.podIP === 'string' && p.status.podIP !== ''),
    );
    const perNode = countBy(pods, (p) => p.spec?.nodeName ?? '');
    expect(perNode).toEqual({ 'e2e-0': 2, 'e2e-1': 2, 'e2e-2': 2 });

    // kubectl get pods -o wide: NAME READY STATUS RESTARTS AGE IP NODE …
    const wide = await kubectl(['get', 'pods', '-n', ns, '-o', 'wide', '--no-headers']);
    expect(wide.code, wide.stderr).toBe(0);
    const table = rows(wide.stdout);
    expect(table).toHaveLength(6);
    for (const p of pods) {
      const row = table.find((r) => r[0] === p.metadata.name);
      expect(row, `kubectl row for ${p.metadata.name}`).toBeDefined();
      expect(row?.slice(1, 3)).toEqual(['1/1', 'Running']);
      expect(row?.[5]).toBe(p.status?.podIP);
      expect(row?.[6]).toBe(p.spec?.nodeName);
    }
    expect(countBy(table, (r) => r[6] ?? '')).toEqual(perNode);

    // describe pod: why is it here?
    const one = pods[0] as Pod;
    const describePod = await kubectl(['describe', 'pod', '-n', ns, one.metadata.name ?? '']);
    expect(describePod.code, describePod.stderr).toBe(0);
    expect(describePod.stdout).toMatch(new RegExp(`Node:\\s+${one.spec?.nodeName}/`));
    expect(describePod.stdout).toMatch(
      new RegExp(
        `Normal\\s+Scheduled\\s+.*Successfully assigned ${ns}/${one.metadata.name} to ${one.spec?.nodeName}`,
      ),
    );

    // get events: the whole chain of decisions, Deployment → ReplicaSet → Pods → scheduler.
    const events = await waitFor(
      async () => {
        const out = await kubectl(['get', 'events', '-n', ns, '--no-headers']);
        const reasons = new Set(rows(out.stdout).map((r) => r[2]));
        return ['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled'].every((x) => reasons.has(x))
          ? out.stdout
          : undefined;
      },
      'ScalingReplicaSet, SuccessfulCreate and Scheduled in kubectl get events',
      10_000,
      200,
    );
    expect(events).toMatch(
      /ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-\w+ (to|from \d+ to) 6/,
    );
    expect(events).toMatch(/SuccessfulCreate\s+replicaset\/web-\w+\s+Created pod: web-\w+-\w+/);
    const scheduled = rows(events).filter((r) => r[2] === 'Scheduled');
    expect(scheduled).toHaveLength(6);
  });

  it('supports kubectl rollout status, history and undo', async () => {
    const ns = 'e2e-rollout';
    await ensureNamespace(api, ns);
    await api.create(DEPLOYMENTS, deployment('app', ns, 6, 'app:1'), ns);
    const first = await kubectl(['rollout', 'status', '-n', ns, 'deployment/app', '--timeout=30s']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('deployment "app" successfully rolled out');

    const set = await kubectl(['set', 'image', '-n', ns, 'deployment/app', 'main=app:2']);
    expect(set.code, set.stderr).toBe(0);
    const second = await kubectl(['rollout', 'status', '-n', ns, 'deployment/app', '--timeout=30s']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('deployment "app" successfully rolled out');
    let pods = await waitRunning(api, ns, 'app=app', 6);
    expect(pods.map((p) => (p.spec?.containers as { image: string }[])[0]?.image)).toEqual(
      Array(6).fill('app:2'),
    );

    const history = await kubectl(['rollout', 'history', '-n', ns, 'deployment/app']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain('deployment.apps/app');
    expect(rows(history.stdout.split('REVISION')[1] ?? '').map((r) => r[0])).toEqual([
      'CHANGE-CAUSE',
      '1',
      '2',
    ]);
    const rev1 = await kubectl(['rollout', 'history', '-n', ns, 'deployment/app', '--revision=1']);
    expect(rev1.code, rev1.stderr).toBe(0);
    expect(rev1.stdout).toMatch(/Image:\s+app:1/);

    const undo = await kubectl(['rollout', 'undo', '-n', ns, 'deployment/app']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain('deployment.apps/app rolled back');
    const third = await kubectl(['rollout', 'status', '-n', ns, 'deployment/app', '--timeout=30s']);
    expect(third.code, third.stderr).toBe(0);
    pods = await waitRunning(api, ns, 'app=app', 6);
    expect(pods.map((p) => (p.spec?.containers as { image: string }[])[0]?.image)).toEqual(
      Array(6).fill('app:1'),
    );
    // Undo re-uses revision 1's ReplicaSet as revision 3.
    const after = await kubectl(['rollout', 'history', '-n', ns, 'deployment/app']);
    expect(rows(after.stdout.split('REVISION')[1] ?? '').map((r) => r[0])).toEqual([
      'CHANGE-CAUSE',
      '2',
      '3',
    ]);
    const rsets = (await api.list<ReplicaSet>(REPLICASETS, { namespace: ns })).items;
    expect(rsets).toHaveLength(2);
    const active = rsets.filter((rs) => (rs.spec.replicas ?? 0) > 0);
    expect(active).toHaveLength(1);
    expect(active[0]?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('keeps a pod that fits nowhere Pending with the reason, and places it as soon as a node with room joins', async () => {
    const ns = 'e2e-pending';
    await ensureNamespace(api, ns);
    await api.create<Pod>(
      PODS,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'big', namespace: ns },
        spec: { containers: [{ name: 'main', image: 'big:1', resources: { requests: { cpu: '6' } } }] },
      },
      ns,
    );
    const failed = await waitFor(
      async () =>
        (await api.list<CoreEvent>(EVENTS, { namespace: ns })).items.find(
          (e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'big',
        ),
      'a FailedScheduling event',
      10_000,
      50,
    );
    expect(failed.type).toBe('Warning');
    expect(failed.message).toContain('0/3 nodes are available: 3 Insufficient cpu.');
    const pending = await api.get<Pod>(PODS, 'big', ns);
    expect(pending.spec?.nodeName).toBeUndefined();
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
    });
    const described = await kubectl(['describe', 'pod', '-n', ns, 'big']);
    expect(described.stdout).toMatch(
      /Warning\s+FailedScheduling\s+.*0\/3 nodes are available: 3 Insufficient cpu/,
    );

    // Heartbeats and status updates of the existing nodes change nothing for it.
    const beats = fleet.heartbeats();
    await waitFor(() => fleet.heartbeats() >= beats + 6, 'two rounds of heartbeats', 5000, 50);
    expect((await api.get<Pod>(PODS, 'big', ns)).spec?.nodeName).toBeUndefined();

    const joinedAt = Date.now();
    const bigNode = await startHollowNodes(api, {
      count: 1,
      namePrefix: 'e2e-big-',
      capacity: { cpu: '8', memory: '16Gi', pods: 110 },
      heartbeatSeconds: HEARTBEAT_S,
    });
    try {
      const placed = await waitFor(
        async () => {
          const p = await api.get<Pod>(PODS, 'big', ns);
          return p.spec?.nodeName ? p : undefined;
        },
        'the big pod to be bound once a big node joins',
        5000,
        20,
      );
      const tookMs = Date.now() - joinedAt;
      expect(placed.spec?.nodeName).toBe('e2e-big-0');
      // Event-driven: the node's arrival re-queues the pod (no 5-minute unschedulable flush here).
      expect(tookMs).toBeLessThan(3000);
      await waitRunning(api, ns, '', 1, 10_000);
      const scheduled = await waitFor(
        async () =>
          (await api.list<CoreEvent>(EVENTS, { namespace: ns })).items.find(
            (e) => e.reason === 'Scheduled' && e.involvedObject.name === 'big',
          ),
        'a Scheduled event',
        5000,
        50,
      );
      expect(scheduled.message).toContain(`Successfully assigned ${ns}/big to e2e-big-0`);
    } finally {
      // Leave the cluster as it was: three nodes.
      await api.delete(PODS, 'big', ns);
      await waitFor(
        async () => (await podsOf(api, ns, '')).length === 0,
        'the big pod to be gone',
        10_000,
        50,
      );
      await bigNode.stop();
      await api.delete(NODES, 'e2e-big-0');
    }
  });

  it('recreates the pods of a node whose heartbeats stop elsewhere, within grace + toleration, and runs nothing twice when it returns', async () => {
    const ns = 'e2e-failover';
    await ensureNamespace(api, ns);
    await api.create(DEPLOYMENTS, deployment('svc', ns, 6, 'svc:1'), ns);
    const before = await waitRunning(api, ns, 'app=svc', 6);
    await rolloutDone(api, ns, 'svc');
    expect(Object.values(countBy(before, (p) => p.spec?.nodeName ?? '')).sort()).toEqual([2, 2, 2]);
    // Admission gave every pod the configured toleration of unreachable nodes.
    expect(
      (before[0]?.spec?.tolerations as { key: string; tolerationSeconds?: number }[]).find(
        (t) => t.key === UNREACHABLE,
      )?.tolerationSeconds,
    ).toBe(TOLERATION_S);

    const victim = 'e2e-1';
    const victims = new Set(before.filter((p) => p.spec?.nodeName === victim).map((p) => p.metadata.uid));
    fleet.stopHeartbeats(victim);
    const silentAt = Date.now();

    const tainted = await waitFor(
      async () => {
        const n = await api.get<Node>(NODES, victim);
        const keys = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
        return nodeReady(n) === 'Unknown' &&
          keys.join() === `${UNREACHABLE}:NoExecute,${UNREACHABLE}:NoSchedule`
          ? n
          : undefined;
      },
      'the silent node to become Ready=Unknown with the unreachable taints',
      (GRACE_S + 5) * 1000,
      50,
    );
    // Timings count from the node's last Lease renewal (the node is silent now, so it is final).
    const lease = await api.get<KubeObjectLike & { spec?: { renewTime?: string } }>(
      LEASES,
      victim,
      LEASE_NAMESPACE,
    );
    const lastBeat = Date.parse(lease.spec?.renewTime ?? '');
    expect(lastBeat).toBeGreaterThan(silentAt - HEARTBEAT_S * 1000 - 1000);
    const unknownMs = Date.now() - lastBeat;
    expect(tainted.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('NodeStatusUnknown');
    expect(unknownMs).toBeGreaterThanOrEqual(GRACE_S * 1000);

    // Its two pods are evicted after the toleration and replaced on the healthy nodes: within
    // grace + toleration of the last heartbeat, plus 1.5 s for scheduling, start and polling.
    const budgetMs = (GRACE_S + TOLERATION_S) * 1000 + 1500;
    const replaced = await waitFor(
      async () => {
        const pods = await podsOf(api, ns, 'app=svc');
        const running = pods.filter(isRunning);
        return running.length === 6 && running.every((p) => p.spec?.nodeName !== victim)
          ? running
          : undefined;
      },
      'six running pods, none on the silent node',
      budgetMs + 5000,
      50,
    );
    const replacedMs = Date.now() - lastBeat;
    expect(replacedMs).toBeLessThanOrEqual(budgetMs);
    // Not before the toleration ran out (the taint's timeAdded has second precision, hence the 1 s).
    expect(replacedMs).toBeGreaterThanOrEqual((GRACE_S + TOLERATION_S - 1) * 1000);
    expect(countBy(replaced, (p) => p.spec?.nodeName ?? '')).toEqual({ 'e2e-0': 3, 'e2e-2': 3 });
    const evictions = (await api.list<CoreEvent>(EVENTS, { namespace: ns })).items.filter(
      (e) => e.reason === 'TaintManagerEviction',
    );
    expect(evictions.map((e) => e.involvedObject.uid).sort()).toEqual([...victims].sort());

    // The node comes back: untainted, the evicted pods finish terminating, nothing runs twice.
    await fleet.resume(victim);
    await waitFor(
      async () => {
        const n = await api.get<Node>(NODES, victim);
        return nodeReady(n) === 'True' && (n.spec?.taints ?? []).length === 0;
      },
      'the returning node to be Ready and untainted',
      10_000,
      50,
    );
    const settled = await waitRunning(api, ns, 'app=svc', 6, 15_000);
    const names = settled.map((p) => p.metadata.name);
    expect(new Set(names).size).toBe(6);
    for (const uid of victims) expect(settled.map((p) => p.metadata.uid)).not.toContain(uid);
    const nodes = (await api.list<Node>(NODES)).items;
    for (const p of settled) {
      const n = nodes.find((x) => x.metadata.name === p.spec?.nodeName);
      expect(n && nodeReady(n), `node of ${p.metadata.name}`).toBe('True');
    }
    const d = await rolloutDone(api, ns, 'svc', 10_000);
    expect(d.status).toMatchObject({ replicas: 6, readyReplicas: 6, availableReplicas: 6 });
    const rs = (await api.list<ReplicaSet>(REPLICASETS, { namespace: ns })).items;
    expect(rs).toHaveLength(1);
    expect(rs[0]?.status?.replicas).toBe(6);
  }, 60_000);

  it('deleting a namespace removes everything in it, then the namespace', async () => {
    const ns = 'e2e-doomed';
    await ensureNamespace(api, ns);
    await api.create(DEPLOYMENTS, deployment('db', ns, 3, 'db:1'), ns);
    await api.create(
      SERVICES,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'db', namespace: ns },
        spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] },
      },
      ns,
    );
    await api.create(
      CONFIGMAPS,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf', namespace: ns }, data: { a: '1' } },
      ns,
    );
    await api.create(
      SECRETS,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw', namespace: ns }, stringData: { pw: 'x' } },
      ns,
    );
    await api.create<Pod>(
      PODS,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'solo', namespace: ns, labels: { solo: 'yes' } },
        spec: { containers: [{ name: 'main', image: 'solo:1' }] },
      },
      ns,
    );
    await waitRunning(api, ns, 'app=db', 3);
    await waitRunning(api, ns, 'solo=yes', 1);
    await waitFor(
      async () => (await api.list(SLICES, { namespace: ns })).items.length > 0,
      'the service endpoint slice',
      10_000,
      50,
    );

    const del = await kubectl(['delete', 'ns', ns, '--wait', '--timeout=60s'], { timeoutMs: 70_000 });
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain(`namespace "${ns}" deleted`);
    await expect(api.get(NAMESPACES, ns)).rejects.toMatchObject({ code: 404 });
    for (const r of [PODS, REPLICASETS, DEPLOYMENTS, SERVICES, CONFIGMAPS, SECRETS, ENDPOINTS, SLICES]) {
      const left = (await api.list<KubeObjectLike>(r, { namespace: ns })).items;
      expect(
        left.map((o) => o.metadata?.name),
        `${r.plural} left in ${ns}`,
      ).toEqual([]);
    }
    const get = await kubectl(['get', 'all', '-n', ns, '--no-headers']);
    expect(get.stdout.trim()).toBe('');
  }, 90_000);
});

// --------------------------------------------------------------------------- restart mid-rollout

describe.skipIf(Boolean(kubectlTool.skipReason))('restarting the control plane mid-rollout', () => {
  const REPLICAS = 6;
  const SURGE = 2;
  const UNAVAILABLE = 1;

  async function rolloutAcrossRestart(stopHow: 'clean stop' | 'SIGKILL'): Promise<void> {
    const dataDir = await newDataDir('flotilla-restart-');
    const ns = 'default';
    // First life: in-process (clean stop) or a `flotilla server` process (killed).
    const proc = stopHow === 'SIGKILL' ? await startFlotillaProcess({ dataDir }) : undefined;
    const firstCp = proc ? undefined : await startTestControlPlane({ dataDir, components: true });
    const kubeconfig = proc?.kubeconfigPath ?? (firstCp as TestControlPlane).kubeconfigPath;
    const client = await connectSwappable(kubeconfig);
    // Containers take 0.4-0.8 s to start, so each wave of the rollout waits for its pods.
    const fleet = await startHollowNodes(
      withPodStartDelay(client.api, () => 400 + Math.floor(Math.random() * 400)),
      {
        count: 3,
        namePrefix: 'rs-',
        capacity: { cpu: '4', memory: '8Gi', pods: 110 },
        heartbeatSeconds: 2,
      },
    );
    let secondCp: TestControlPlane | undefined;
    let guard: RolloutGuard | undefined;
    try {
      const api = client.api;
      await api.create(
        DEPLOYMENTS,
        deployment('web', ns, REPLICAS, 'web:1', { maxSurge: SURGE, maxUnavailable: UNAVAILABLE }),
        ns,
      );
      await rolloutDone(api, ns, 'web', 30_000);
      const oldRs = (await api.list<ReplicaSet>(REPLICASETS, { namespace: ns })).items[0] as ReplicaSet;
      // From here on, every state must be within the rolling update's bounds.
      guard = guardRollout(client.api, {
        namespace: ns,
        labelSelector: 'app=web',
        replicas: REPLICAS,
        maxSurge: SURGE,
        maxUnavailable: UNAVAILABLE,
      });
      await waitFor(() => guard!.checks() > 0, 'the guard to list the pods', 5000, 10);

      await api.patch(
        DEPLOYMENTS,
        'web',
        ns,
        { spec: { template: { spec: { containers: [{ name: 'main', image: 'web:2' }] } } } },
        'strategic',
      );
      // Mid-rollout: some new pods ready, the old ReplicaSet not yet scaled in.
      const mid = await waitFor(
        async () => {
          const rsets = (await api.list<ReplicaSet>(REPLICASETS, { namespace: ns })).items;
          const old = rsets.find((r) => r.metadata.uid === oldRs.metadata.uid);
          const next = rsets.find((r) => r.metadata.uid !== oldRs.metadata.uid);
          return next && old && (next.status?.readyReplicas ?? 0) >= 1 && (old.spec.replicas ?? 0) >= 3
            ? { old: old.spec.replicas, next: next.status?.readyReplicas }
            : undefined;
        },
        'the rollout to be under way',
        20_000,
        10,
      );
      if (proc) await proc.kill('SIGKILL');
      else await (firstCp as TestControlPlane).stop();
      const checksBeforeRestart = guard.checks();

      // Second life, in-process, on the same data dir (a new port: the kubeconfig is rewritten).
      secondCp = await startTestControlPlane({ dataDir, components: true });
      await client.reconnect(secondCp.kubeconfigPath);
      // The hollow kubelets reconnect: lease, Ready status, and a status report for every pod that
      // could not be reported while the control plane was away.
      for (const name of fleet.names) await fleet.resume(name);

      const kubectl = kubectlRunner(KUBECTL, secondCp.kubeconfigPath);
      const status = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], {
        timeoutMs: 70_000,
      });
      expect(status.code, `${status.stdout}\n${status.stderr}`).toBe(0);
      expect(status.stdout).toContain('deployment "web" successfully rolled out');

      const d = await rolloutDone(api, ns, 'web', 10_000);
      const rsets = (await api.list<ReplicaSet>(REPLICASETS, { namespace: ns })).items;
      expect(rsets).toHaveLength(2);
      const old = rsets.find((r) => r.metadata.uid === oldRs.metadata.uid) as ReplicaSet;
      const next = rsets.find((r) => r.metadata.uid !== oldRs.metadata.uid) as ReplicaSet;
      expect(old.spec.replicas).toBe(0);
      await waitFor(
        async () =>
          (await api.get<ReplicaSet>(REPLICASETS, old.metadata.name ?? '', ns)).status?.replicas === 0,
        'the old ReplicaSet to report 0 replicas',
        10_000,
        50,
      );
      expect(next.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      const hash = next.metadata.labels?.['pod-template-hash'];
      const pods = await waitRunning(api, ns, 'app=web', REPLICAS, 10_000);
      expect(pods.map((p) => p.metadata.labels?.['pod-template-hash'])).toEqual(Array(REPLICAS).fill(hash));
      expect(pods.map((p) => (p.spec?.containers as { image: string }[])[0]?.image)).toEqual(
        Array(REPLICAS).fill('web:2'),
      );
      expect(new Set(pods.map((p) => p.metadata.name)).size).toBe(REPLICAS);
      expect(new Set(pods.map((p) => p.metadata.uid)).size).toBe(REPLICAS);
      for (const p of pods) expect(p.metadata.ownerReferences?.[0]?.uid).toBe(next.metadata.uid);

      // The bounds held at every state observed while a control plane was up, in both lives.
      expect(guard.violations).toEqual([]);
      expect(guard.relists()).toBeGreaterThanOrEqual(1);
      expect(checksBeforeRestart).toBeGreaterThan(5);
      expect(guard.checks()).toBeGreaterThan(checksBeforeRestart + 5);
      expect(guard.extremes().maxLive).toBeGreaterThan(REPLICAS);
      expect(mid.old).toBeGreaterThanOrEqual(3);
    } finally {
      guard?.stop();
      await fleet.stop();
      client.close();
      await secondCp?.stop();
      await firstCp?.stop();
      await proc?.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  it('finishes the rollout after a clean stop and start on the same data dir', async () => {
    await rolloutAcrossRestart('clean stop');
  }, 90_000);

  it('finishes the rollout after `flotilla server` is SIGKILLed and started again on the same data dir', async () => {
    await rolloutAcrossRestart('SIGKILL');
  }, 120_000);
});
