// One pod network across machines (host-gw): two test hosts (network namespaces with their own
// dockerd, scripts/testbed.sh), each running the real agent bundle as a child process inside its
// namespace (`ip netns exec`), so routes and iptables rules land in that host's own network stack,
// against a control plane listening on the test bridge's machine-side address.
//
// Shown: both Nodes Ready with distinct pod CIDRs; each agent routes the other's pod CIDR via its
// InternalIP; a pod on host A reaches a pod on host B by pod IP and B sees A's *pod* IP (no NAT);
// a ClusterIP Service with one endpoint per host answers from A's pod and spreads over both; when
// the hosts reach each other only through a router (the machine, made so with /32 routes), the
// agents switch to VXLAN and back; a node that leaves loses its route; the agents' teardown removes
// their routes, the VXLAN device, the NAT exemption and their chains.
//
// Names are per run (network, bridge, chain prefix, cluster CIDR) so the suite does not collide with
// other suites using the same test hosts. Under CI=true a missing test bed fails; elsewhere the
// suite is skipped with the reason.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { ROUTE_PROTOCOL, VXLAN, vtepAddress } from '../src-main/agent/network/routes';
import type { Node } from '../src-main/agent/node/types';
import type { Pod } from '../src-main/agent/pods/types';
import type { EndpointSlice, Service } from '../src-main/agent/network/types';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import {
  issueClientCertificate,
  issueServingCertificate,
  loadCertificateAuthority,
  nodeIdentity,
} from '../src-main/control-plane/apiserver/pki';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { waitFor } from './support/docker';
import { repoRoot, requireTestbed } from './support/testbed';
import type { TestbedHost } from './support/testbed';

const exec = promisify(execFile);
// Its own test bed: it installs agents on both hosts, which must not meet another suite's agents there.
const { testbed, skipReason } = await requireTestbed(2, 2);

const r = (plural: string, group = '') =>
  RESOURCES.find((x) => x.plural === plural && x.group === group) as ResourceInfo;
const PODS = r('pods');
const NODES = r('nodes');
const SERVICES = r('services');
const SLICES = r('endpointslices', 'discovery.k8s.io');
const NS = 'default';
const IMAGE = 'flotilla.test/busybox:1';

const suffix = `${process.pid}`.slice(-4);
const SECOND = 240 + (process.pid % 10);
const CLUSTER_CIDR = `10.${SECOND}.0.0/16`;
const PREFIX = `FPN${suffix}`;
const NETWORK = `flotilla-pn-${suffix}`;
const BRIDGE = `flpn${suffix}`;
const debug = process.env.FLOTILLA_TEST_LOG === 'debug';

interface HostRun {
  host: TestbedHost;
  nodeName: string;
  podCIDR: string;
  configPath: string;
  child?: ChildProcess;
  log: string[];
  docker: Docker;
}

/** `ip netns exec NS CMD…` → stdout (rejects on a non-zero exit). */
async function inHost(host: TestbedHost, cmd: string[]): Promise<string> {
  const { stdout } = await exec('ip', ['netns', 'exec', host.netns, ...cmd], { timeout: 30_000 });
  return stdout;
}

/** Runs a shell command in a pod's app container (through the host's engine); stdout. */
async function podShell(run: HostRun, pod: string, script: string, timeoutMs = 60_000): Promise<string> {
  const [container] = await run.docker.listContainers({
    filters: { label: [`dev.flotilla.pod.name=${pod}`, 'dev.flotilla.kind=app'] },
  });
  if (!container) throw new Error(`no running container of pod ${pod} on ${run.host.name}`);
  const { stdout } = await exec(
    'docker',
    ['-H', `unix://${run.host.dockerSocket}`, 'exec', container.Id, 'sh', '-c', script],
    { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
  );
  return stdout;
}

/** A pod bound to a node (no scheduler here) running busybox httpd; /cgi-bin/who prints the peer address. */
function webPod(name: string, nodeName: string, label: string): Pod {
  const cgi = [
    '#!/bin/sh',
    'echo "Content-Type: text/plain"',
    'echo',
    `echo "host=${label} peer=$REMOTE_ADDR"`,
  ].join('\n');
  const script = [
    'mkdir -p /www/cgi-bin',
    `echo "served-by=${label}" > /www/index.html`,
    `printf '%s\\n' '${cgi.replace(/'/g, "'\\''")}' > /www/cgi-bin/who`,
    'chmod +x /www/cgi-bin/who',
    'exec httpd -f -p 80 -h /www',
  ].join(' && ');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: `pn-web-${suffix}` } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'web', image: IMAGE, command: ['sh', '-c', script], ports: [{ containerPort: 80 }] },
      ],
    },
  } as Pod;
}

function clientPod(name: string, nodeName: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'client', image: IMAGE, command: ['sleep', '3600'] }],
    },
  } as Pod;
}

const httpGet = (ip: string, path: string) => `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80`;

describe.skipIf(!!skipReason)(
  `pod network across test hosts (host-gw)${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let cp: TestControlPlane;
    let api: KubeApi;
    let adminTransport: NodeTransport;
    let controllers: ControllerManager;
    let workDir: string;
    let bundle: string;
    const runs: HostRun[] = [];
    const timings: Record<string, number> = {};
    const [hostA, hostB] = testbed?.hosts ?? [];

    const podIP = (name: string) =>
      waitFor(
        `pod ${name} running with an IP`,
        async () => {
          const p = await api.get<Pod>(PODS, name, NS);
          const running = p.status?.containerStatuses?.every((c) => c.state?.running);
          return running && p.status?.podIP ? p.status.podIP : undefined;
        },
        60_000,
      );

    function startAgentProcess(run: HostRun): void {
      const child = spawn(
        'ip',
        ['netns', 'exec', run.host.netns, process.execPath, bundle, '--config', run.configPath],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const keep = (d: Buffer) => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          run.log.push(line);
          if (debug) console.error(`[${run.nodeName}] ${line}`);
        }
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      run.child = child;
    }

    async function stopAgentProcess(run: HostRun): Promise<void> {
      const child = run.child;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((res) => setTimeout(res, 12_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    let viaRouter = false;
    /** Each host reaches the other only through the machine (the test bridge's gateway), or directly again. */
    async function throughRouter(on: boolean): Promise<void> {
      const [a, b] = runs as [HostRun, HostRun];
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const args = on
          ? ['ip', 'route', 'replace', `${to.host.ip}/32`, 'via', testbed!.gateway]
          : ['ip', 'route', 'del', `${to.host.ip}/32`];
        await inHost(from.host, args).catch((err: unknown) => {
          if (on) throw err;
        });
      }
      viaRouter = on;
      // A Node change makes the agents re-sync now rather than at their next periodic pass.
      for (const run of runs)
        await api.patch(NODES, run.nodeName, undefined, {
          metadata: { annotations: { 'flotilla.dev/pod-network-test': `${on}-${Date.now()}` } },
        });
    }

    const agentLogs = () => runs.map((r) => `--- ${r.nodeName}\n${r.log.slice(-40).join('\n')}`).join('\n');

    beforeAll(async () => {
      workDir = await mkdtemp(join(os.tmpdir(), 'flotilla-pod-network-'));
      let t = Date.now();
      bundle = join(workDir, 'agent.mjs');
      await exec(
        process.execPath,
        [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build-agent.ts', '--outfile', bundle],
        {
          cwd: repoRoot,
          timeout: 120_000,
        },
      );
      timings.buildAgentMs = Date.now() - t;

      cp = await startTestControlPlane({ host: testbed!.gateway });
      const admin = await kubeApiFromKubeconfig(cp.kubeconfigPath);
      api = admin.api;
      adminTransport = admin.transport;
      controllers = await startControllerManager({ api, log: testLogger(), controllers: ['endpointslice'] });
      const pkiDir = join(cp.dataDir, 'pki');
      const caPem = await readFile(join(pkiDir, 'ca.crt'), 'utf8');
      const ca = await loadCertificateAuthority(caPem, await readFile(join(pkiDir, 'ca.key'), 'utf8'));

      for (const [i, host] of [hostA!, hostB!].entries()) {
        const nodeName = `pn-${suffix}-${host.name}`;
        const client = await issueClientCertificate(ca, nodeIdentity(nodeName));
        const serving = await issueServingCertificate(ca, {
          commonName: `system:node:${nodeName}`,
          sans: { dnsNames: [nodeName], ips: [host.ip] },
        });
        const configPath = join(workDir, `${host.name}.json`);
        await writeFile(
          configPath,
          JSON.stringify({
            apiServer: cp.url,
            nodeName,
            caPem,
            clientCertPem: client.certPem,
            clientKeyPem: client.keyPem,
            servingCertPem: serving.certPem,
            servingKeyPem: serving.keyPem,
            listenAddress: host.ip,
            port: 0,
            rootDir: join(workDir, `root-${host.name}`),
            dockerHost: `unix://${host.dockerSocket}`,
            networkName: NETWORK,
            bridgeName: BRIDGE,
            nodeIP: host.ip,
            clusterCIDR: CLUSTER_CIDR,
            labels: { 'flotilla.dev/test': 'pod-network' },
            proxy: { chainPrefix: PREFIX },
          }),
        );
        runs.push({
          host,
          nodeName,
          podCIDR: `10.${SECOND}.${i + 1}.0/24`,
          configPath,
          log: [],
          docker: new Docker({ socketPath: host.dockerSocket }),
        });
      }
      t = Date.now();
      for (const run of runs) startAgentProcess(run);
      // The node IPAM controller's role: this suite's own pod CIDRs.
      for (const run of runs) {
        const node = await waitFor(
          `node ${run.nodeName} to register`,
          () => api.get<Node>(NODES, run.nodeName).catch(() => undefined),
          30_000,
        );
        if (!node.spec?.podCIDR) {
          try {
            await api.patch(NODES, run.nodeName, undefined, {
              spec: { podCIDR: run.podCIDR, podCIDRs: [run.podCIDR] },
            });
          } catch (err) {
            if (!isKubeApiError(err, 422)) throw err;
          }
        }
      }
      timings.agentsStartedMs = Date.now() - t;
    }, 240_000);

    afterAll(async () => {
      if (viaRouter) await throughRouter(false).catch(() => undefined);
      for (const run of runs) await stopAgentProcess(run);
      await controllers?.stop();
      adminTransport?.close();
      await cp?.dispose();
      // In case the teardown test did not run: leave nothing of this suite on the hosts.
      for (const run of runs) {
        await exec(
          'ip',
          [
            'netns',
            'exec',
            run.host.netns,
            process.execPath,
            bundle,
            '--config',
            run.configPath,
            '--teardown',
          ],
          {
            timeout: 60_000,
          },
        ).catch(() => undefined);
      }
      if (workDir) await rm(workDir, { recursive: true, force: true });
      if (Object.keys(timings).length) console.log(`pod-network timings: ${JSON.stringify(timings)}`);
    }, 120_000);

    it('both nodes become Ready with distinct pod CIDRs and route each other’s pods (host-gw)', async () => {
      const t = Date.now();
      const nodes = await Promise.all(
        runs.map((run) =>
          waitFor(
            `node ${run.nodeName} Ready`,
            async () => {
              const n = await api.get<Node>(NODES, run.nodeName);
              return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
            },
            60_000,
          ).catch((err: unknown) => {
            throw new Error(`${String(err)}\n${agentLogs()}`);
          }),
        ),
      );
      timings.nodesReadyMs = Date.now() - t;
      expect(new Set(nodes.map((n) => n.spec?.podCIDR)).size).toBe(2);
      expect(nodes.map((n) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address)).toEqual([
        hostA!.ip,
        hostB!.ip,
      ]);
      for (const [i, run] of runs.entries()) {
        const peer = runs[1 - i]!;
        const routes = await waitFor(
          `route on ${run.host.name} to ${peer.podCIDR}`,
          async () => {
            const out = await inHost(run.host, [
              'ip',
              '-4',
              'route',
              'show',
              'proto',
              String(ROUTE_PROTOCOL),
            ]);
            return out.includes(`${peer.podCIDR} via ${peer.host.ip}`) ? out : undefined;
          },
          30_000,
        );
        // Only the other node's CIDR: never its own.
        expect(routes).not.toContain(run.podCIDR);
        const nat = await inHost(run.host, ['iptables', '-t', 'nat', '-S', 'POSTROUTING']);
        const lines = nat.split('\n').filter((l) => l.startsWith('-A POSTROUTING'));
        const exemption = lines.findIndex((l) => l.includes(`-s ${CLUSTER_CIDR} -d ${CLUSTER_CIDR}`));
        const dockerMasq = lines.findIndex(
          (l) => l.includes(`-s ${run.podCIDR}`) && l.includes('MASQUERADE'),
        );
        expect(exemption).toBeGreaterThanOrEqual(0);
        expect(dockerMasq).toBeGreaterThan(exemption);
      }
    }, 120_000);

    it('a pod on host A reaches a pod on host B by pod IP, and B sees A’s pod IP', async () => {
      const [a, b] = runs as [HostRun, HostRun];
      await api.create(PODS, webPod(`web-a-${suffix}`, a.nodeName, a.host.name), NS);
      await api.create(PODS, webPod(`web-b-${suffix}`, b.nodeName, b.host.name), NS);
      await api.create(PODS, clientPod(`client-a-${suffix}`, a.nodeName), NS);
      const t = Date.now();
      const [webB, clientA] = await Promise.all([podIP(`web-b-${suffix}`), podIP(`client-a-${suffix}`)]);
      await podIP(`web-a-${suffix}`);
      timings.podsRunningMs = Date.now() - t;
      expect(webB.startsWith(`10.${SECOND}.2.`)).toBe(true);
      expect(clientA.startsWith(`10.${SECOND}.1.`)).toBe(true);

      const reply = await waitFor(
        'host B’s pod to answer host A’s pod',
        async () => {
          const out = await podShell(a, `client-a-${suffix}`, httpGet(webB, '/cgi-bin/who')).catch(() => '');
          return out.includes('host=') ? out : undefined;
        },
        30_000,
      );
      expect(reply).toContain(`host=${b.host.name}`);
      // Kept its pod IP across the hosts: not masqueraded to host A's address. (httpd listens on
      // IPv6 too, so it may print the peer IPv4-mapped: [::ffff:10.x.y.z].)
      const peer = /peer=(?:\[::ffff:)?([\d.]+)/.exec(reply)?.[1];
      expect(peer).toBe(clientA);
      expect(peer).not.toBe(a.host.ip);

      // Round trip time, median of several requests (pod → pod across hosts).
      const rtts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = Date.now();
        await podShell(a, `client-a-${suffix}`, httpGet(webB, '/'));
        rtts.push(Date.now() - s);
      }
      timings.crossHostRequestMedianMs = rtts.sort((x, y) => x - y)[2]!;
    }, 120_000);

    it('a ClusterIP Service answers from host A’s pod and reaches endpoints on both hosts', async () => {
      const [a] = runs as [HostRun, HostRun];
      const svc = await api.create<Service>(
        SERVICES,
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `pn-web-${suffix}`, namespace: NS },
          spec: { selector: { app: `pn-web-${suffix}` }, ports: [{ port: 80, targetPort: 80 }] },
        } as Service,
        NS,
      );
      const clusterIP = svc.spec?.clusterIP as string;
      expect(clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      await waitFor(
        'the Service’s EndpointSlice to list both pods',
        async () => {
          const slices = await api.list<EndpointSlice>(SLICES, {
            namespace: NS,
            labelSelector: `kubernetes.io/service-name=pn-web-${suffix}`,
          });
          const ready = slices.items
            .flatMap((s) => s.endpoints ?? [])
            .filter((e) => e.conditions?.ready !== false);
          return ready.length === 2 ? ready : undefined;
        },
        30_000,
      );
      const seen = await waitFor(
        'answers from both hosts through the ClusterIP',
        async () => {
          const script = `i=0; while [ $i -lt 30 ]; do ${httpGet(clusterIP, '/')}; i=$((i+1)); done`;
          const out = await podShell(a, `client-a-${suffix}`, script).catch(() => '');
          const hosts = new Set([...out.matchAll(/served-by=(\S+)/g)].map((m) => m[1]));
          return hosts.size === 2 ? hosts : undefined;
        },
        60_000,
      );
      expect([...seen].sort()).toEqual([hostA!.name, hostB!.name].sort());
    }, 120_000);

    it('switches to VXLAN when the hosts reach each other only through a router, and back', async () => {
      const [a, b] = runs as [HostRun, HostRun];
      const routesOn = (run: HostRun) =>
        inHost(run.host, ['ip', '-4', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]);
      let t = Date.now();
      await throughRouter(true);
      for (const [run, peer] of [
        [a, b],
        [b, a],
      ] as const) {
        await waitFor(
          `${run.host.name} to route ${peer.podCIDR} over VXLAN`,
          async () =>
            (await routesOn(run)).includes(
              `${peer.podCIDR} via ${vtepAddress(peer.podCIDR)} dev ${VXLAN.device}`,
            ),
          30_000,
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}\n${agentLogs()}`);
        });
      }
      timings.switchToVxlanMs = Date.now() - t;
      const txPackets = async () =>
        Number(await inHost(a.host, ['cat', `/sys/class/net/${VXLAN.device}/statistics/tx_packets`]));
      const before = await txPackets();
      const clientA = await podIP(`client-a-${suffix}`);
      const webB = await podIP(`web-b-${suffix}`);
      const reply = await waitFor(
        'host B’s pod to answer over VXLAN',
        async () => {
          const out = await podShell(a, `client-a-${suffix}`, httpGet(webB, '/cgi-bin/who')).catch(() => '');
          return out.includes('host=') ? out : undefined;
        },
        30_000,
      );
      expect(reply).toContain(`host=${b.host.name}`);
      expect(/peer=(?:\[::ffff:)?([\d.]+)/.exec(reply)?.[1]).toBe(clientA);
      // The request really went through the overlay device.
      expect(await txPackets()).toBeGreaterThan(before);

      t = Date.now();
      await throughRouter(false);
      for (const [run, peer] of [
        [a, b],
        [b, a],
      ] as const) {
        await waitFor(
          `${run.host.name} to route ${peer.podCIDR} directly again and drop the VXLAN device`,
          async () => {
            const direct = (await routesOn(run)).includes(`${peer.podCIDR} via ${peer.host.ip}`);
            const links = await inHost(run.host, ['ip', '-o', 'link', 'show']);
            return direct && !links.includes(VXLAN.device);
          },
          30_000,
        );
      }
      timings.switchBackToHostGwMs = Date.now() - t;
      const again = await podShell(a, `client-a-${suffix}`, httpGet(webB, '/cgi-bin/who'));
      expect(again).toContain(`host=${b.host.name}`);
    }, 120_000);

    it('when a node leaves, the other node removes its route', async () => {
      const [a, b] = runs as [HostRun, HostRun];
      // Stopped first, or its agent would register the Node again.
      await stopAgentProcess(b);
      await api.delete(NODES, b.nodeName);
      const t = Date.now();
      await waitFor(
        `the route on ${a.host.name} to ${b.podCIDR} to go`,
        async () => {
          const out = await inHost(a.host, ['ip', '-4', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]);
          return !out.includes(b.podCIDR);
        },
        30_000,
      );
      timings.routeRemovedAfterNodeDeleteMs = Date.now() - t;
    }, 60_000);

    it('teardown removes the routes, the NAT exemption and the service chains on both hosts', async () => {
      for (const run of runs) {
        await stopAgentProcess(run);
        await inHost(run.host, [process.execPath, bundle, '--config', run.configPath, '--teardown']);
      }
      for (const run of runs) {
        const routes = await inHost(run.host, ['ip', '-4', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]);
        expect(routes.trim()).toBe('');
        const nat = await inHost(run.host, ['iptables-save', '-t', 'nat']);
        expect(nat).not.toContain(CLUSTER_CIDR);
        expect(nat).not.toContain(`${PREFIX}-`);
        const filter = await inHost(run.host, ['iptables-save', '-t', 'filter']);
        expect(filter).not.toContain(`${PREFIX}-`);
        const links = await inHost(run.host, ['ip', '-o', 'link', 'show']);
        expect(links).not.toContain(BRIDGE);
        expect(links).not.toContain(VXLAN.device);
      }
    }, 120_000);
  },
);
