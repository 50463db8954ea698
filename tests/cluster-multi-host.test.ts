// One cluster over three machines, with the real programs: `flotilla server` (a child process
// listening on every interface), two SSH test hosts (testbed instance 10) — one enrolled with
// `flotilla node add ssh`, one through the API as the UI does it (kubectl apply of a Secret and a
// Machine) — and the local Docker engine with `flotilla node add docker`. Shown: all three Ready
// with their IPs in `kubectl get nodes -o wide`; a Deployment of 6 lands 2 per node; a pod on one
// host reaches every other pod by pod IP and the ClusterIP Service answers from all endpoints; the
// NodePort answers on every node's address. Everything is removed at the end (also after a failure).
//
// The local node's InternalIP is this machine's default-route address, which is not on the test
// hosts' bridge: the hosts reach it through a router (their default gateway), so both sides must
// route each other's pods over the VXLAN overlay — the local node too, though the hosts' addresses
// are on one of its own links (it would reach them from its bridge address, not its node address).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAgentBundle,
  clusterClients,
  engineOf,
  httpGet,
  inHost,
  localEngine,
  podExec,
  runProgram,
  runningAppContainers,
  startClusterServer,
  until,
} from './support/cluster-e2e';
import type { ClusterServer, PodEngine } from './support/cluster-e2e';
import { requireDocker } from './support/docker';
import { freeLoopbackPort } from './support/flotilla-process';
import { lockLocalEngineNode } from './support/local-engine-node';
import { requireTestbed } from './support/testbed';
import type { Testbed, TestbedHost } from './support/testbed';
import { inCI, which } from './support/tools';

const INSTANCE = 10;
const { testbed, skipReason: testbedSkip } = await requireTestbed(2, INSTANCE);
const { skipReason: dockerSkip } = await requireDocker();
const skip = testbedSkip ?? dockerSkip ?? (which('kubectl') ? undefined : 'kubectl not found');
if (skip && inCI) throw new Error(`CI=true and ${skip}`);

// Names of this suite alone (the shared engine and API server may carry other suites' objects).
const suffix = String(process.pid % 10_000);
const LOCAL = `mh${suffix}-local`;
const VIA_CLI = `mh${suffix}-cli`;
const VIA_API = `mh${suffix}-api`;
const APP = `mh${suffix}-web`;
const AGENT_LABEL = 'dev.flotilla.agent.node';

interface NodeJson {
  metadata: { name: string };
  spec?: { podCIDR?: string };
  status?: {
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
  };
}
interface PodJson {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: { podIP?: string; phase?: string };
}

const internalIP = (n: NodeJson) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
const isReady = (n: NodeJson) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

function manifests(): string {
  // httpd answers with the pod's name (its hostname), so each reply says which endpoint served it.
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${APP}}
spec:
  replicas: 6
  selector: {matchLabels: {app: ${APP}}}
  template:
    metadata: {labels: {app: ${APP}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: flotilla.test/busybox:1
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ${APP}}
spec:
  type: NodePort
  selector: {app: ${APP}}
  ports: [{port: 80, targetPort: 80}]
`;
}

describe.skipIf(!!skip)(
  `one cluster over two SSH hosts and the local engine${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    const tb = testbed as Testbed;
    const [vmCli, vmApi] = (tb?.hosts ?? []) as TestbedHost[];
    let workDir: string;
    let bundle: string;
    let server: ClusterServer | undefined;
    let c: ReturnType<typeof clusterClients>;
    let localIP: string | undefined;
    let releaseEngine: (() => Promise<void>) | undefined;
    const engines = new Map<string, PodEngine>();
    const timings: Record<string, number> = {};

    const pods = async () =>
      (await c.kubectlJson<{ items: PodJson[] }>(['get', 'pods', '-l', `app=${APP}`])).items;
    const nodes = async () =>
      (await c.kubectlJson<{ items: NodeJson[] }>(['get', 'nodes'])).items.filter((n) =>
        [LOCAL, VIA_CLI, VIA_API].includes(n.metadata.name),
      );
    /** Every node's pod routes, for failure messages. */
    const routesNow = async () => {
      const parts = [
        `this machine:\n${(await runProgram('ip', ['-4', 'route', 'show', 'proto', '77'])).stdout}`,
      ];
      for (const h of [vmCli, vmApi])
        if (h) parts.push(`${h.name}:\n${await inHost(h, 'ip -4 route show proto 77').catch(String)}`);
      return parts.join('\n');
    };
    const withLog = (err: unknown) =>
      new Error(`${String(err)}\n--- server log:\n${server?.log().slice(-3000)}`);

    beforeAll(async () => {
      workDir = await mkdtemp(join(tmpdir(), 'flotilla-multi-host-'));
      bundle = await buildAgentBundle(join(workDir, 'bundle'));
      server = await startClusterServer({ dataDir: join(workDir, 'data'), agentBundle: bundle });
      c = clusterClients(server, bundle);
      engines.set(VIA_CLI, engineOf(vmCli!));
      engines.set(VIA_API, engineOf(vmApi!));
      engines.set(LOCAL, localEngine());
    }, 240_000);

    afterAll(async () => {
      if (server) {
        await c.kubectl(['delete', 'deployment,service', APP, '--wait=false']).catch(() => undefined);
        for (const name of [VIA_CLI, VIA_API, LOCAL]) {
          const r = await c.removeNode(name);
          if (r.code !== 0 && !/not found|no (node|machine)/i.test(r.stderr))
            console.error(`node remove ${name}: ${r.stderr}`);
        }
      }
      // Whatever a failed removal left: the local agent container (ours by its name) and the hosts' route.
      const local = engines.get(LOCAL);
      if (local) {
        const left = await local.docker.listContainers({
          all: true,
          filters: { label: [`${AGENT_LABEL}=${LOCAL}`] },
        });
        for (const ct of left)
          await local.docker
            .getContainer(ct.Id)
            .remove({ force: true })
            .catch(() => undefined);
      }
      await server?.stop();
      await releaseEngine?.();
      if (workDir) await rm(workDir, { recursive: true, force: true });
      if (Object.keys(timings).length) console.log(`multi-host timings (ms): ${JSON.stringify(timings)}`);
    }, 240_000);

    it('enrolls two SSH hosts (CLI and API) and the local engine: three Ready nodes with their IPs', async () => {
      let t = Date.now();
      const viaCli = await c.addSshHost(vmCli!, VIA_CLI);
      timings.sshAddCliMs = Date.now() - t;
      expect(viaCli.stderr).toBe('');
      expect(viaCli.code).toBe(0);
      expect(viaCli.stdout).toContain(`Node ${VIA_CLI} is Ready`);

      // As the UI does it: a Secret with the key and a Machine referring to it, applied with kubectl.
      t = Date.now();
      const key = Buffer.from(await readFile(vmApi!.privateKey)).toString('base64');
      const applied = await c.kubectl(['apply', '-f', '-'], {
        input: `
apiVersion: v1
kind: Secret
metadata: {name: ${VIA_API}-ssh, namespace: default}
type: Opaque
data: {ssh-privatekey: ${key}}
---
apiVersion: flotilla.dev/v1
kind: Machine
metadata: {name: ${VIA_API}}
spec:
  type: ssh
  ssh:
    address: ${vmApi!.ip}
    port: ${vmApi!.sshPort}
    user: root
    privateKeySecretRef: {name: ${VIA_API}-ssh, namespace: default}
    hostKeyFingerprint: "${vmApi!.hostKeyFingerprint}"
`,
      });
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toContain(`machine.flotilla.dev/${VIA_API} created`);

      // The local engine is one node at a time: take turns with the other suites that make it one.
      releaseEngine = await lockLocalEngineNode('cluster-multi-host');
      const tl = Date.now();
      const viaDocker = await c.flotilla([
        'node',
        'add',
        'docker',
        '--name',
        LOCAL,
        '--agent-port',
        String(await freeLoopbackPort()),
        '--data-dir',
        server!.dataDir,
      ]);
      timings.dockerAddMs = Date.now() - tl;
      expect(viaDocker.code, `${viaDocker.stdout}\n${viaDocker.stderr}`).toBe(0);
      expect(viaDocker.stdout).toContain(`Node ${LOCAL} is Ready`);

      const machine = await until(
        `machine ${VIA_API} to be Ready`,
        async () => {
          const m = await c.kubectlJson<{ status?: { phase?: string; steps?: { state: string }[] } }>([
            'get',
            'machine',
            VIA_API,
          ]);
          return m.status?.phase === 'Ready' ? m : undefined;
        },
        90_000,
      ).catch((err: unknown) => {
        throw withLog(err);
      });
      timings.sshAddApiMs = Date.now() - t;
      expect(machine.status?.steps?.every((s) => s.state === 'done')).toBe(true);

      const all = await until(
        'three Ready nodes',
        async () => {
          const ns = await nodes();
          return ns.length === 3 && ns.every(isReady) ? ns : undefined;
        },
        60_000,
      );
      expect(new Set(all.map((n) => n.spec?.podCIDR)).size).toBe(3);
      localIP = internalIP(all.find((n) => n.metadata.name === LOCAL)!);
      expect(localIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      const wide = await c.kubectl(['get', 'nodes', '-o', 'wide']);
      expect(wide.code).toBe(0);
      const row = (name: string) => wide.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
      expect(row(VIA_CLI)).toMatch(/\bReady\b/);
      expect(row(VIA_CLI)).toContain(` ${vmCli!.ip} `);
      expect(row(VIA_API)).toMatch(/\bReady\b/);
      expect(row(VIA_API)).toContain(` ${vmApi!.ip} `);
      expect(row(LOCAL)).toMatch(/\bReady\b/);
      expect(row(LOCAL)).toContain(` ${localIP} `);

      // VXLAN both ways (see the header): the hosts to the local node's pods, and the local node to theirs.
      const localCIDR = all.find((n) => n.metadata.name === LOCAL)!.spec!.podCIDR!;
      for (const h of [vmCli!, vmApi!])
        await until(
          `${h.name} to route ${localCIDR} over VXLAN`,
          async () =>
            (await inHost(h, 'ip -4 route show proto 77')).includes(
              `${localCIDR} via ${localCIDR.split('/')[0]} dev flotilla-vxlan`,
            ),
          30_000,
        );
      for (const n of all.filter((x) => x.metadata.name !== LOCAL)) {
        const cidr = n.spec!.podCIDR!;
        await until(
          `the local node to route ${cidr} (${n.metadata.name}) over VXLAN`,
          async () =>
            (await runProgram('ip', ['-4', 'route', 'show', 'proto', '77'])).stdout.includes(
              `${cidr} via ${cidr.split('/')[0]} dev flotilla-vxlan`,
            ),
          30_000,
        );
      }
    }, 300_000);

    it('a Deployment of 6 lands 2 per node', async () => {
      const applied = await c.kubectl(['apply', '-f', '-'], { input: manifests() });
      expect(applied.code, applied.stderr).toBe(0);
      const t = Date.now();
      const rollout = await c.kubectl(['rollout', 'status', `deployment/${APP}`, '--timeout=120s'], {
        timeoutMs: 130_000,
      });
      expect(rollout.code, `${rollout.stdout}\n${rollout.stderr}`).toBe(0);
      timings.rollout6Ms = Date.now() - t;
      const running = (await pods()).filter((p) => p.status?.phase === 'Running');
      expect(running).toHaveLength(6);
      const perNode = new Map<string, number>();
      for (const p of running) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
      expect(Object.fromEntries(perNode)).toEqual({ [LOCAL]: 2, [VIA_CLI]: 2, [VIA_API]: 2 });
      // The engines agree: each pod runs once, on the engine of the node it is bound to.
      const containers = await runningAppContainers([...engines.values()], [LOCAL, VIA_CLI, VIA_API]);
      for (const p of running) {
        expect(containers.get(p.metadata.name)?.map((x) => x.engine)).toEqual([
          engines.get(p.spec.nodeName!)!.name,
        ]);
      }
    }, 180_000);

    it('a pod on one host reaches the pods on every node by pod IP', async () => {
      const all = await pods();
      const from = all.find((p) => p.spec.nodeName === VIA_CLI)!;
      const engine = engines.get(VIA_CLI)!;
      for (const target of all) {
        const reply = await until(
          `${from.metadata.name} (${VIA_CLI}) to reach ${target.metadata.name} at ${target.status?.podIP} (${target.spec.nodeName})`,
          async () => {
            const out = await podExec(engine, from.metadata.name, httpGet(target.status!.podIP!));
            return out.includes(target.metadata.name) ? out : undefined;
          },
          20_000,
        );
        expect(reply).toContain('200 OK');
      }
      // And the other way: from the local engine's pod to both hosts' pods.
      const fromLocal = all.find((p) => p.spec.nodeName === LOCAL)!;
      for (const target of all.filter((p) => p.spec.nodeName !== LOCAL)) {
        const out = await podExec(
          engines.get(LOCAL)!,
          fromLocal.metadata.name,
          httpGet(target.status!.podIP!),
        ).catch(async (err: unknown) => `${String(err)}\n${await routesNow()}`);
        expect(out).toContain(target.metadata.name);
      }
    }, 180_000);

    it('the ClusterIP Service answers from all six endpoints', async () => {
      const svc = await c.kubectlJson<{ spec: { clusterIP: string } }>(['get', 'service', APP]);
      const all = await pods();
      const from = all.find((p) => p.spec.nodeName === VIA_API)!;
      const seen = new Set<string>();
      await until(
        'answers from every endpoint through the ClusterIP',
        async () => {
          const script = `i=0; while [ $i -lt 24 ]; do ${httpGet(svc.spec.clusterIP)} | tail -1; i=$((i+1)); done`;
          const out = await podExec(engines.get(VIA_API)!, from.metadata.name, script);
          for (const line of out.split('\n')) if (line.startsWith(`${APP}-`)) seen.add(line.trim());
          return seen.size === 6 ? true : undefined;
        },
        60_000,
        0,
      );
      expect([...seen].sort()).toEqual(all.map((p) => p.metadata.name).sort());
    }, 120_000);

    it('the NodePort answers on every node’s address', async () => {
      const svc = await c.kubectlJson<{ spec: { ports: { nodePort: number }[] } }>(['get', 'service', APP]);
      const nodePort = svc.spec.ports[0]!.nodePort;
      expect(nodePort).toBeGreaterThanOrEqual(30000);
      const names = new Set((await pods()).map((p) => p.metadata.name));
      for (const n of await nodes()) {
        const ip = internalIP(n)!;
        // From this machine (outside the cluster's pods), as a browser would.
        const r = await runProgram('curl', ['-s', '-m', '5', `http://${ip}:${nodePort}/`]);
        expect(r.code, `NodePort ${ip}:${nodePort} (${n.metadata.name}): ${r.stderr}`).toBe(0);
        expect([...names], `NodePort ${ip}:${nodePort} (${n.metadata.name}) answered ${r.stdout}`).toContain(
          r.stdout.trim(),
        );
      }
    }, 60_000);
  },
);
