// A host cut off and healed, with the real programs: `flotilla server` (a child process), two SSH test
// hosts of testbed instance 11 enrolled with `flotilla node add ssh`, real kubectl. Cutting one host's
// link (`ip link set VETH down` on the machine's side of the test bridge: nothing on the host is
// stopped) must make its node NotReady and its pods run on the other host within the configured
// times; healing it must bring the node back Ready and, once it settles, no pod may run twice —
// counted as running app containers per pod name on every engine, whatever the API says.
//
// Times: `flotilla server` has no flag for the node lifecycle timings, so the desktop preset applies
// (nodeMonitorGracePeriod 20 s: Ready becomes Unknown; src-main/control-plane/controllers/
// nodelifecycle/settings.ts). The pods carry their own 2 s tolerations for the not-ready and
// unreachable taints (the controller honours a pod's tolerations), so eviction follows the taint.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_NODE_LIFECYCLE } from '../src-main/control-plane/controllers/nodelifecycle/settings';
import {
  buildAgentBundle,
  clusterClients,
  engineOf,
  runProgram,
  runningAppContainers,
  startClusterServer,
  until,
} from './support/cluster-e2e';
import type { ClusterServer, PodEngine } from './support/cluster-e2e';
import { requireTestbed } from './support/testbed';
import type { Testbed, TestbedHost } from './support/testbed';
import { inCI, which } from './support/tools';

const INSTANCE = 11;
const { testbed, skipReason: testbedSkip } = await requireTestbed(2, INSTANCE);
const skip = testbedSkip ?? (which('kubectl') ? undefined : 'kubectl not found');
if (skip && inCI) throw new Error(`CI=true and ${skip}`);

const suffix = String(process.pid % 10_000);
const CUT = `lc${suffix}-vm1`;
const KEPT = `lc${suffix}-vm2`;
const APP = `lc${suffix}-app`;
const REPLICAS = 4;
const TOLERATION_SECONDS = 2;
const GRACE_MS = DESKTOP_NODE_LIFECYCLE.nodeMonitorGracePeriodSeconds * 1000;
// Scheduling, the sandbox and the container start on a busy 2-core machine.
const START_SLACK_MS = 30_000;

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string };
}
interface NodeJson {
  status?: { conditions?: { type: string; status: string }[] };
}

function deployment(): string {
  // A well-behaved app: exits on SIGTERM, so a graceful stop does not wait out the grace period.
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${APP}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: ${APP}}}
  template:
    metadata: {labels: {app: ${APP}}}
    spec:
      terminationGracePeriodSeconds: 2
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: ${TOLERATION_SECONDS}}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: ${TOLERATION_SECONDS}}
      containers:
      - name: app
        image: flotilla.test/busybox:1
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;
}

describe.skipIf(!!skip)(`a test host cut off and healed${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const tb = testbed as Testbed;
  const [vmCut, vmKept] = (tb?.hosts ?? []) as TestbedHost[];
  let workDir: string;
  let server: ClusterServer | undefined;
  let c: ReturnType<typeof clusterClients>;
  let engines: PodEngine[] = [];
  let linkDown = false;
  const timings: Record<string, number> = {};

  const setLink = async (up: boolean) => {
    const r = await runProgram('ip', ['link', 'set', vmCut!.veth, up ? 'up' : 'down']);
    if (r.code !== 0) throw new Error(`ip link set ${vmCut!.veth}: ${r.stderr}`);
    linkDown = !up;
  };
  const pods = async () =>
    (await c.kubectlJson<{ items: PodJson[] }>(['get', 'pods', '-l', `app=${APP}`])).items;
  const ready = async (node: string) =>
    (await c.kubectlJson<NodeJson>(['get', 'node', node])).status?.conditions?.find((x) => x.type === 'Ready')
      ?.status;
  const live = (ps: PodJson[]) => ps.filter((p) => !p.metadata.deletionTimestamp);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'flotilla-link-cut-'));
    const bundle = await buildAgentBundle(join(workDir, 'bundle'));
    server = await startClusterServer({ dataDir: join(workDir, 'data'), agentBundle: bundle });
    c = clusterClients(server, bundle);
    engines = [engineOf(vmCut!), engineOf(vmKept!)];
    for (const [host, name] of [
      [vmCut!, CUT],
      [vmKept!, KEPT],
    ] as const) {
      const r = await c.addSshHost(host, name);
      if (r.code !== 0) throw new Error(`node add ssh ${name}: ${r.stdout}\n${r.stderr}`);
    }
  }, 240_000);

  afterAll(async () => {
    // Heal first, whatever happened: removal needs the host, and other suites may reuse the instance.
    if (linkDown) await setLink(true).catch((err: unknown) => console.error(String(err)));
    if (server) {
      await c.kubectl(['delete', 'deployment', APP, '--wait=false']).catch(() => undefined);
      for (const name of [CUT, KEPT]) {
        const r = await c.removeNode(name);
        if (r.code !== 0) console.error(`node remove ${name}: ${r.stderr}`);
      }
    }
    await server?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    if (Object.keys(timings).length) console.log(`link-cut timings (ms): ${JSON.stringify(timings)}`);
  }, 240_000);

  it('runs the Deployment on both hosts', async () => {
    const applied = await c.kubectl(['apply', '-f', '-'], { input: deployment() });
    expect(applied.code, applied.stderr).toBe(0);
    const rollout = await c.kubectl(['rollout', 'status', `deployment/${APP}`, '--timeout=90s'], {
      timeoutMs: 100_000,
    });
    expect(rollout.code, rollout.stderr).toBe(0);
    const ps = await pods();
    expect(ps.filter((p) => p.spec.nodeName === CUT)).toHaveLength(REPLICAS / 2);
    expect(ps.filter((p) => p.spec.nodeName === KEPT)).toHaveLength(REPLICAS / 2);
  }, 120_000);

  it('a cut host’s node goes NotReady and its pods are recreated on the other host in time', async () => {
    const onCut = (await pods()).filter((p) => p.spec.nodeName === CUT).map((p) => p.metadata.name);
    const t0 = Date.now();
    await setLink(false);
    await until(
      `node ${CUT} to stop being Ready`,
      async () => (await ready(CUT)) !== 'True',
      GRACE_MS + 15_000,
    );
    timings.notReadyMs = Date.now() - t0;
    expect(await ready(KEPT)).toBe('True');

    const replaced = await until(
      `${REPLICAS} live pods Running on ${KEPT}`,
      async () => {
        const ps = live(await pods());
        const running = ps.filter((p) => p.spec.nodeName === KEPT && p.status?.phase === 'Running');
        return running.length === REPLICAS && ps.length === REPLICAS ? running : undefined;
      },
      GRACE_MS + TOLERATION_SECONDS * 1000 + START_SLACK_MS,
    );
    timings.recreatedMs = Date.now() - t0;
    // The cut host's pods were replaced (new names), not moved.
    for (const name of onCut) expect(replaced.map((p) => p.metadata.name)).not.toContain(name);
    // Cut off, the host cannot learn this yet: its copies still run (that is why the heal must clean up).
    const meanwhile = await runningAppContainers([engines[0]!], [CUT]);
    timings.stillRunningOnCutHost = [...meanwhile.keys()].length;
  }, 120_000);

  it('healed, the node returns Ready and after it settles no pod runs twice', async () => {
    const t0 = Date.now();
    await setLink(true);
    await until(`node ${CUT} to be Ready again`, async () => (await ready(CUT)) === 'True', 90_000);
    timings.readyAgainMs = Date.now() - t0;

    const settled = await until(
      'one running container per live pod, none for pods that are gone',
      async () => {
        const ps = await pods();
        if (ps.some((p) => p.metadata.deletionTimestamp)) return undefined;
        const containers = await runningAppContainers(engines, [CUT, KEPT]);
        const names = ps.map((p) => p.metadata.name).sort();
        const running = [...containers.keys()].sort();
        const once = [...containers.values()].every((list) => list.length === 1);
        return once && JSON.stringify(names) === JSON.stringify(running) ? containers : undefined;
      },
      60_000,
      500,
    );
    timings.settledMs = Date.now() - t0;
    expect(settled.size).toBe(REPLICAS);
    for (const list of settled.values()) expect(list).toHaveLength(1);
    // Nothing of the deployment is left on the healed host's engine.
    const leftover = await engines[0]!.docker.listContainers({
      all: true,
      filters: { label: ['dev.flotilla.kind=app', `dev.flotilla.node=${CUT}`] },
    });
    expect(leftover.filter((x) => x.State === 'running')).toHaveLength(0);
    const deploy = await c.kubectlJson<{ status?: { readyReplicas?: number } }>(['get', 'deployment', APP]);
    expect(deploy.status?.readyReplicas).toBe(REPLICAS);
  }, 120_000);
});
