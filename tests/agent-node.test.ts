// The agent as a running node against a real control plane and the real Docker engine: the Node
// registers and becomes Ready with the machine's capacity, its Lease renews, a pod bound to it runs as
// containers with a pod IP, logs/exec/stats work through the agent's own HTTPS API (as the API server
// calls it), a ClusterIP/NodePort Service spreads requests over two endpoint pods from a third pod
// and from the node, and an agent that is stopped and started again adopts its containers without
// restarting them (and removes the pod deleted while it was away).
//
// Runs the agent in-process as root (iptables rules in chains under a per-run prefix, removed at the
// end). The node's pod CIDR is assigned by the test (a per-run subnet, so parallel suites on this
// machine never share one); the EndpointSlices come from the real endpointslice controller.
import { execFile, spawn } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startAgent } from '../src-main/agent/agent';
import type { RunningAgent } from '../src-main/agent/agent';
import { parseAgentConfig } from '../src-main/agent/config';
import type { AgentConfig } from '../src-main/agent/config';
import { chainsInSave } from '../src-main/agent/network/rules';
import { systemIptables } from '../src-main/agent/network/iptables';
import type { Node, Lease } from '../src-main/agent/node/types';
import type { Pod } from '../src-main/agent/pods/types';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControlPlane } from '../src-main/control-plane';
import type { ControlPlane } from '../src-main/control-plane';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import {
  issueClientCertificate,
  issueServingCertificate,
  loadCertificateAuthority,
  nodeIdentity,
} from '../src-main/control-plane/apiserver/pki';
import type { CertificateAuthority, IssuedCertificate } from '../src-main/control-plane/apiserver/pki';
import { createLogger } from '../src-main/platform/logger';
import { APISERVER_CLIENT_CN, ExecChannel, agentPaths } from '../src-main/shared/agent-api';
import type { StatsSummary } from '../src-main/shared/agent-api';
import type { CoreEvent } from '../src-main/shared/kube/objects';
import { createKubeApi } from '../src-main/shared/kube/client';
import { createNodeTransport } from '../src-main/shared/node/https-transport';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { ensureTestImages, removeNodeLeftovers, requireDocker, TEST_IMAGE, waitFor } from './support/docker';
import { inCI, which } from './support/tools';

const { docker, skipReason: dockerSkip } = await requireDocker();
function rootSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (the service proxy installs iptables rules)';
  if (!which('iptables-restore')) return 'iptables-restore not found (apt-get install -y iptables)';
  return undefined;
}
const rootSkip = rootSkipReason();
if (rootSkip && inCI) throw new Error(`CI=true and ${rootSkip}`);
const skipReason = dockerSkip ?? rootSkip;

const r = (plural: string, group = '') =>
  RESOURCES.find((x) => x.plural === plural && x.group === group) as ResourceInfo;
const PODS = r('pods');
const NODES = r('nodes');
const SERVICES = r('services');
const LEASES = r('leases', 'coordination.k8s.io');
const EVENTS = r('events');
const SLICES = r('endpointslices', 'discovery.k8s.io');
const NS = 'default';

const suffix = `${process.pid}`.slice(-4);
const NODE = `agent-it-${process.pid}`;
const NETWORK = `flotilla-agent-it-${process.pid}`;
const BRIDGE = `flag${suffix}`;
const SUBNET = 150 + (process.pid % 50);
const POD_CIDR = `10.244.${SUBNET}.0/24`;
const PREFIX = `FLT${suffix}`;

const debug = process.env.FLOTILLA_TEST_LOG === 'debug';
const agentLog = (m: string) => void (debug && console.error(`[agent] ${m}`));

function httpsGet(
  port: number,
  path: string,
  client: IssuedCertificate | undefined,
  caPem: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: caPem,
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function followLogs(
  port: number,
  path: string,
  client: IssuedCertificate,
  caPem: string,
): Promise<{ text(): string; ended(): boolean; close(): void }> {
  return new Promise((resolve, reject) => {
    let body = '';
    let ended = false;
    const req = https.request(
      { host: '127.0.0.1', port, path, ca: caPem, cert: client.certPem, key: client.keyPem },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => (ended = true));
        res.on('error', () => (ended = true));
        resolve({ text: () => body, ended: () => ended, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: '/', timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

interface ExecOutcome {
  protocol: string;
  stdout: string;
  stderr: string;
  status: {
    status?: string;
    reason?: string;
    details?: { causes?: { reason?: string; message?: string }[] };
  };
}

function execThroughAgent(
  port: number,
  client: IssuedCertificate,
  caPem: string,
  pod: string,
  container: string,
  command: string[],
  options: { stdin?: string; protocols?: string[] } = {},
): Promise<ExecOutcome> {
  const query = new URLSearchParams();
  for (const c of command) query.append('command', c);
  query.set('stdout', 'true');
  query.set('stderr', 'true');
  if (options.stdin !== undefined) query.set('stdin', 'true');
  const url = `wss://127.0.0.1:${port}${agentPaths.exec(NS, pod, container)}?${query.toString()}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      ca: caPem,
      cert: client.certPem,
      key: client.keyPem,
    });
    let stdout = '';
    let stderr = '';
    let status: ExecOutcome['status'] | undefined;
    ws.on('open', () => {
      if (options.stdin !== undefined) {
        ws.send(Buffer.concat([Buffer.from([ExecChannel.stdin]), Buffer.from(options.stdin)]));
        ws.send(Buffer.from([ExecChannel.close, ExecChannel.stdin]));
      }
    });
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      const text = data.subarray(1).toString();
      if (channel === ExecChannel.stdout) stdout += text;
      else if (channel === ExecChannel.stderr) stderr += text;
      else if (channel === ExecChannel.error) status = JSON.parse(text) as ExecOutcome['status'];
    });
    ws.on('error', reject);
    ws.on('close', () =>
      status
        ? resolve({ protocol: ws.protocol, stdout, stderr, status })
        : reject(new Error('no status on the error channel')),
    );
  });
}

describe.skipIf(!!skipReason)(
  `the agent as a node (control plane + real dockerd)${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let cp: TestControlPlane;
    let api: KubeApi;
    let adminTransport: NodeTransport;
    let controllers: ControllerManager;
    let ca: CertificateAuthority;
    let caPem: string;
    let apiserverClient: IssuedCertificate;
    let config: AgentConfig;
    let agent: RunningAgent;
    let rootDir: string;
    let nodeIdentityNote = '';
    let restarted: ControlPlane | undefined;

    const getPod = (name: string) => api.get<Pod>(PODS, name, NS);

    async function assignPodCidr(): Promise<void> {
      // The node IPAM controller's role, with a subnet of this run's own.
      const node = await waitFor('the Node to be registered', () =>
        api.get<Node>(NODES, NODE).catch(() => undefined),
      );
      if (node.spec?.podCIDR) return;
      try {
        await api.patch(NODES, NODE, undefined, { spec: { podCIDR: POD_CIDR, podCIDRs: [POD_CIDR] } });
      } catch (err) {
        if (!isKubeApiError(err, 422)) throw err; // assigned meanwhile: fine
      }
    }

    function startTheAgent(): Promise<RunningAgent> {
      return startAgent(config, { log: agentLog, resyncIntervalMs: 2_000, leaseIntervalMs: 1_000 });
    }

    beforeAll(async () => {
      await removeNodeLeftovers(docker!, NODE, NETWORK);
      await ensureTestImages();
      cp = await startTestControlPlane();
      const admin = await kubeApiFromKubeconfig(cp.kubeconfigPath);
      api = admin.api;
      adminTransport = admin.transport;
      const pkiDir = join(cp.dataDir, 'pki');
      caPem = await readFile(join(pkiDir, 'ca.crt'), 'utf8');
      ca = await loadCertificateAuthority(caPem, await readFile(join(pkiDir, 'ca.key'), 'utf8'));

      // The node's identity. Until the API server has its node authorizer, system:nodes may not be
      // allowed what the agent does; then the test adds system:masters (and says so).
      let nodeCert = await issueClientCertificate(ca, nodeIdentity(NODE));
      const probe = createNodeTransport({
        server: cp.url,
        caPem,
        certPem: nodeCert.certPem,
        keyPem: nodeCert.keyPem,
      });
      try {
        await createKubeApi(probe).list(PODS, { fieldSelector: `spec.nodeName=${NODE}` });
      } catch (err) {
        if (!isKubeApiError(err, 403)) throw err;
        nodeIdentityNote = 'node authorizer missing: the agent ran with system:nodes + system:masters';
        console.warn(nodeIdentityNote);
        const id = nodeIdentity(NODE);
        nodeCert = await issueClientCertificate(ca, {
          ...id,
          organizations: [...id.organizations, 'system:masters'],
        });
      } finally {
        probe.close();
      }
      const serving = await issueServingCertificate(ca, {
        commonName: `system:node:${NODE}`,
        sans: { dnsNames: [NODE, 'localhost'], ips: ['127.0.0.1'] },
      });
      apiserverClient = await issueClientCertificate(ca, { commonName: APISERVER_CLIENT_CN });

      const log = createLogger({ component: 'test', level: debug ? 'debug' : 'warn' });
      controllers = await startControllerManager({ api, log, controllers: ['endpointslice'] });

      rootDir = await mkdtemp(join(os.tmpdir(), 'flotilla-agent-node-'));
      config = parseAgentConfig({
        apiServer: cp.url,
        nodeName: NODE,
        caPem,
        clientCertPem: nodeCert.certPem,
        clientKeyPem: nodeCert.keyPem,
        servingCertPem: serving.certPem,
        servingKeyPem: serving.keyPem,
        listenAddress: '127.0.0.1',
        port: 0,
        rootDir,
        networkName: NETWORK,
        bridgeName: BRIDGE,
        labels: { 'flotilla.dev/test': 'agent-node' },
        proxy: { chainPrefix: PREFIX },
      });
      agent = await startTheAgent();
      await assignPodCidr();
      await agent.ready;
    });

    afterAll(async () => {
      await agent?.teardown();
      await controllers?.stop();
      adminTransport?.close();
      await restarted?.stop();
      await cp?.dispose();
      if (docker) await removeNodeLeftovers(docker, NODE, NETWORK);
      if (rootDir) await rm(rootDir, { recursive: true, force: true });
    });

    it('registers the Node and it becomes Ready with the machine’s capacity, addresses and info', async () => {
      const node = await waitFor(
        'the Node to be Ready',
        async () => {
          const n = await api.get<Node>(NODES, NODE);
          const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
          return ready?.status === 'True' ? n : undefined;
        },
        30_000,
      );
      const status = node.status!;
      expect(status.capacity?.cpu).toBe(String(os.cpus().length));
      const memKi = Number(status.capacity?.memory?.replace(/Ki$/, ''));
      expect(Math.abs(memKi * 1024 - os.totalmem())).toBeLessThan(64 * 1024 * 1024);
      expect(status.capacity?.pods).toBe('110');
      expect(Number(status.capacity?.['ephemeral-storage']?.replace(/Ki$/, ''))).toBeGreaterThan(0);
      expect(status.allocatable?.pods).toBe('110');
      expect(status.addresses?.find((a) => a.type === 'Hostname')?.address).toBe(os.hostname());
      expect(status.addresses?.find((a) => a.type === 'InternalIP')?.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(status.daemonEndpoints?.kubeletEndpoint?.Port).toBe(agent.port);
      const version = await docker!.version();
      expect(status.nodeInfo?.containerRuntimeVersion).toBe(`docker://${version.Version}`);
      expect(status.nodeInfo?.kubeletVersion).toMatch(/^flotilla-agent\//);
      expect(status.nodeInfo?.kernelVersion).toBe(os.release());
      expect(status.nodeInfo?.architecture).toBe(process.arch === 'x64' ? 'amd64' : process.arch);
      expect(status.nodeInfo?.operatingSystem).toBe('linux');
      expect(status.nodeInfo?.bootID).toMatch(/^[0-9a-f-]{36}$/);
      const byType = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c]));
      expect(byType.Ready?.reason).toBe('KubeletReady');
      expect(byType.MemoryPressure?.status).toBe('False');
      expect(byType.DiskPressure?.status).toBe('False');
      expect(byType.PIDPressure?.status).toBe('False');
      expect(node.metadata.labels?.['kubernetes.io/hostname']).toBe(NODE);
      expect(node.metadata.labels?.['flotilla.dev/test']).toBe('agent-node');
      await waitFor('ServiceProxyReady=True', async () => {
        const n = await api.get<Node>(NODES, NODE);
        return n.status?.conditions?.find((c) => c.type === 'ServiceProxyReady')?.status === 'True';
      });
    });

    it('renews its Lease in kube-node-lease', async () => {
      const first = await waitFor('the node Lease', () =>
        api.get<Lease>(LEASES, NODE, 'kube-node-lease').catch(() => undefined),
      );
      expect(first.spec?.holderIdentity).toBe(NODE);
      expect(first.spec?.leaseDurationSeconds).toBe(40);
      expect(first.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(first.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: NODE })]);
      await waitFor(
        'the Lease to be renewed',
        async () =>
          (await api.get<Lease>(LEASES, NODE, 'kube-node-lease')).spec?.renewTime !== first.spec?.renewTime,
        10_000,
      );
    });

    const webPod = (name: string): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS, labels: { app: 'web' } },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'web',
            image: TEST_IMAGE,
            imagePullPolicy: 'IfNotPresent',
            command: [
              'sh',
              '-c',
              'mkdir -p /srv && hostname > /srv/index.html && echo serving $(hostname) && exec httpd -f -p 80 -h /srv',
            ],
            ports: [{ containerPort: 80 }],
            readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 },
          },
        ],
      },
    });

    async function runningPod(name: string): Promise<Pod> {
      return waitFor(
        `pod ${name} Running and Ready`,
        async () => {
          const p = await getPod(name);
          const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
          return p.status?.phase === 'Running' && ready && p.status.podIP ? p : undefined;
        },
        30_000,
      );
    }

    it('runs a pod bound to the node as containers with a pod IP, and records kubelet events', async () => {
      await api.create(PODS, webPod('web-a'));
      const pod = await runningPod('web-a');
      expect(pod.status?.podIP?.startsWith(`10.244.${SUBNET}.`)).toBe(true);
      expect(pod.status?.hostIP).toBe(
        (await api.get<Node>(NODES, NODE)).status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
      );
      const cs = pod.status?.containerStatuses?.[0] as { containerID?: string; restartCount: number };
      expect(cs.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
      const events = await waitFor('Created and Started events', async () => {
        const list = await api.list<CoreEvent>(EVENTS, { namespace: NS });
        const mine = list.items.filter((e) => e.involvedObject.name === 'web-a');
        const reasons = new Set(mine.map((e) => e.reason));
        return reasons.has('Created') && reasons.has('Started') ? mine : undefined;
      });
      const started = events.find((e) => e.reason === 'Started')!;
      expect(started.source).toEqual({ component: 'kubelet', host: NODE });
      expect(events.map((e) => e.reason)).toContain('Pulled');
    });

    it('serves logs, exec and stats through its HTTPS API to the API server’s identity only', async () => {
      const port = agent.port;
      const logs = await waitFor('the pod’s log line', async () => {
        const r = await httpsGet(port, agentPaths.containerLogs(NS, 'web-a', 'web'), apiserverClient, caPem);
        return r.status === 200 && r.body.includes('serving web-a') ? r.body : undefined;
      });
      expect(logs).toBe('serving web-a\n');
      const stamped = await httpsGet(
        port,
        `${agentPaths.containerLogs(NS, 'web-a', 'web')}?timestamps=true&tailLines=1`,
        apiserverClient,
        caPem,
      );
      expect(stamped.body).toMatch(/^\d{4}-\d\d-\d\dT\S+Z serving web-a\n$/);
      // Following: the stream stays open and carries what the container writes later.
      const follow = await followLogs(
        port,
        agentPaths.containerLogs(NS, 'web-a', 'web') + '?follow=true',
        apiserverClient,
        caPem,
      );
      try {
        await waitFor('the followed log to start', () => follow.text().includes('serving web-a'));
        await execThroughAgent(port, apiserverClient, caPem, 'web-a', 'web', [
          'sh',
          '-c',
          'echo later line > /proc/1/fd/1',
        ]);
        await waitFor('a later line on the followed log', () => follow.text().includes('later line\n'));
        expect(follow.ended()).toBe(false);
      } finally {
        follow.close();
      }
      const missing = await httpsGet(
        port,
        agentPaths.containerLogs(NS, 'nope', 'web'),
        apiserverClient,
        caPem,
      );
      expect(missing.status).toBe(404);

      // Only the API server's certificate is accepted.
      expect((await httpsGet(port, agentPaths.healthz, undefined, caPem)).status).toBe(401);
      const someone = await issueClientCertificate(ca, {
        commonName: 'someone',
        organizations: ['system:masters'],
      });
      expect((await httpsGet(port, agentPaths.healthz, someone, caPem)).status).toBe(403);
      expect((await httpsGet(port, agentPaths.healthz, apiserverClient, caPem)).body).toBe('ok');

      const ok = await execThroughAgent(port, apiserverClient, caPem, 'web-a', 'web', [
        'sh',
        '-c',
        'echo out; echo err >&2',
      ]);
      expect(ok).toMatchObject({
        protocol: 'v5.channel.k8s.io',
        stdout: 'out\n',
        stderr: 'err\n',
        status: { status: 'Success' },
      });
      const failed = await execThroughAgent(
        port,
        apiserverClient,
        caPem,
        'web-a',
        'web',
        ['sh', '-c', 'exit 7'],
        {
          protocols: ['v4.channel.k8s.io'],
        },
      );
      expect(failed.protocol).toBe('v4.channel.k8s.io');
      expect(failed.status).toMatchObject({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '7' }] },
      });
      const piped = await execThroughAgent(port, apiserverClient, caPem, 'web-a', 'web', ['cat'], {
        stdin: 'through stdin\n',
      });
      expect(piped.stdout).toBe('through stdin\n');
      expect(piped.status.status).toBe('Success');

      const summary = await waitFor('a stats summary with the pod', async () => {
        const r = await httpsGet(port, agentPaths.statsSummary, apiserverClient, caPem);
        const s = JSON.parse(r.body) as StatsSummary;
        return s.pods.some((p) => p.podRef.name === 'web-a') ? s : undefined;
      });
      expect(summary.node.nodeName).toBe(NODE);
      expect(summary.node.memory.workingSetBytes).toBeGreaterThan(0);
      const web = summary.pods.find((p) => p.podRef.name === 'web-a')!;
      expect(web.podRef.uid).toBe((await getPod('web-a')).metadata.uid);
      expect(web.memory.workingSetBytes).toBeGreaterThan(0);
      expect(web.containers.map((c) => c.name)).toEqual(['web']);
    });

    it('makes a ClusterIP/NodePort Service reach both endpoints from a third pod, from an endpoint itself and from the node', async () => {
      await api.create(PODS, webPod('web-b'));
      await api.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'client', namespace: NS },
        spec: {
          nodeName: NODE,
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'client', image: TEST_IMAGE, command: ['sleep', '3600'] }],
        },
      });
      const svc = (await api.create(SERVICES, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: NS },
        spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80 }] },
      })) as unknown as { spec: { clusterIP: string; ports: { nodePort: number }[] } };
      const clusterIP = svc.spec.clusterIP;
      const nodePort = svc.spec.ports[0]!.nodePort;
      await Promise.all([runningPod('web-a'), runningPod('web-b'), runningPod('client')]);
      await waitFor(
        'an EndpointSlice with both pods ready',
        async () => {
          const slices = await api.list<{ endpoints?: { conditions?: { ready?: boolean } }[] }>(SLICES, {
            namespace: NS,
            labelSelector: 'kubernetes.io/service-name=web',
          });
          return (
            slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false)
              .length === 2
          );
        },
        30_000,
      );

      const hits = async (from: string, container: string, count: number) => {
        const loop = `for i in $(seq 1 ${count}); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${clusterIP} 8080 | tail -n 1; done`;
        const out = await execThroughAgent(agent.port, apiserverClient, caPem, from, container, [
          'sh',
          '-c',
          loop,
        ]);
        return out.stdout.split('\n').filter(Boolean);
      };
      // The rules follow the slice within a sync; retry until both answer, then count a fresh run.
      await waitFor(
        'the Service to answer from both pods',
        async () => new Set(await hits('client', 'client', 10)).size === 2,
        20_000,
      );
      const answers = await hits('client', 'client', 40);
      expect(answers).toHaveLength(40);
      expect(new Set(answers)).toEqual(new Set(['web-a', 'web-b']));
      // Hairpin: an endpoint reaching the Service gets itself too.
      expect(new Set(await hits('web-a', 'web', 30))).toEqual(new Set(['web-a', 'web-b']));

      // From the node: the ClusterIP, and the NodePort on a node-local address (the pod bridge's).
      const fromNode = new Set<string>();
      for (let i = 0; i < 30; i++) fromNode.add((await httpGet(clusterIP, 8080)).trim());
      expect(fromNode).toEqual(new Set(['web-a', 'web-b']));
      const gateway = `10.244.${SUBNET}.1`;
      expect(['web-a', 'web-b']).toContain((await httpGet(gateway, nodePort)).trim());

      const nat = chainsInSave(await systemIptables.save('nat'), PREFIX);
      expect(nat.filter((c) => c.startsWith(`${PREFIX}-SEP-`))).toHaveLength(2);
    });

    it('keeps pods running and serving while the API server is away, and catches up when it returns', async () => {
      const clusterIP = (await api.get<{ spec: { clusterIP: string } }>(SERVICES, 'web', NS)).spec.clusterIP;
      const port = Number(new URL(cp.url).port);
      await cp.stop();
      const outageStarted = Date.now();
      const during = await docker!.listContainers({
        all: true,
        filters: { label: [`dev.flotilla.node=${NODE}`] },
      });
      expect(during.length).toBeGreaterThan(0);
      expect(during.every((c) => c.State === 'running')).toBe(true);
      expect(['web-a', 'web-b']).toContain((await httpGet(clusterIP, 8080)).trim());

      restarted = await startControlPlane({
        dataDir: cp.dataDir,
        host: '127.0.0.1',
        port,
        storeUrl: `sqlite://${join(cp.dataDir, 'state.db')}`,
        log: createLogger({ component: 'test', level: debug ? 'debug' : 'warn' }),
      });
      await waitFor(
        'the Lease to be renewed after the outage',
        async () =>
          Date.parse((await api.get<Lease>(LEASES, NODE, 'kube-node-lease')).spec?.renewTime ?? '') >
          outageStarted,
        30_000,
      );
      // The pod informer relisted: a pod created now is started.
      await api.create(PODS, webPod('web-late'));
      await runningPod('web-late');
      await api.delete(PODS, 'web-late', NS);
      await waitFor(
        'web-late to be gone',
        () =>
          getPod('web-late').then(
            () => false,
            (err) => isKubeApiError(err, 404),
          ),
        30_000,
      );
      await waitFor('web-late’s containers to be removed', async () => {
        const left = await docker!.listContainers({
          all: true,
          filters: { label: [`dev.flotilla.node=${NODE}`, 'dev.flotilla.pod.name=web-late'] },
        });
        return left.length === 0;
      });
    });

    it('restarts without restarting containers, and cleans up a pod deleted while it was away', async () => {
      const before = await docker!.listContainers({
        all: true,
        filters: { label: [`dev.flotilla.node=${NODE}`] },
      });
      const byId = new Map(before.map((c) => [c.Id, c.State]));
      expect(before.every((c) => c.State === 'running')).toBe(true);
      const restartCounts = async (name: string) =>
        ((await getPod(name)).status?.containerStatuses ?? []).map((c) => c.restartCount);

      await agent.stop(); // not teardown: pods keep running
      await api.delete(PODS, 'client', NS, { gracePeriodSeconds: 0 });
      const clientUid = before.find((c) => c.Labels['dev.flotilla.pod.name'] === 'client')!.Labels[
        'dev.flotilla.pod.uid'
      ];

      agent = await startTheAgent();
      await agent.ready;
      await waitFor('the deleted pod’s containers to be removed', async () => {
        const now = await docker!.listContainers({
          all: true,
          filters: { label: [`dev.flotilla.pod.uid=${clientUid}`] },
        });
        return now.length === 0;
      });
      const after = await docker!.listContainers({
        all: true,
        filters: { label: [`dev.flotilla.node=${NODE}`] },
      });
      const kept = before.filter((c) => c.Labels['dev.flotilla.pod.uid'] !== clientUid);
      expect(after.map((c) => c.Id).sort()).toEqual(kept.map((c) => c.Id).sort());
      for (const c of after) expect(byId.get(c.Id)).toBe('running');
      expect(await restartCounts('web-a')).toEqual([0]);
      expect(await restartCounts('web-b')).toEqual([0]);
      await runningPod('web-a');
      // Still served after the restart.
      expect(['web-a', 'web-b']).toContain(
        (
          await httpGet(
            (await api.get<{ spec: { clusterIP: string } }>(SERVICES, 'web', NS)).spec.clusterIP,
            8080,
          )
        ).trim(),
      );
      if (nodeIdentityNote) console.warn(nodeIdentityNote);
    });

    it('removes its containers, network and iptables chains on teardown', async () => {
      await agent.teardown();
      const left = await docker!.listContainers({
        all: true,
        filters: { label: [`dev.flotilla.node=${NODE}`] },
      });
      expect(left).toEqual([]);
      await expect(docker!.getNetwork(NETWORK).inspect()).rejects.toThrow();
      expect(chainsInSave(await systemIptables.save('nat'), PREFIX)).toEqual([]);
      expect(chainsInSave(await systemIptables.save('filter'), PREFIX)).toEqual([]);
      const saved = (await systemIptables.save('nat')) + (await systemIptables.save('filter'));
      expect(saved).not.toContain(`${PREFIX}-`);
    });
  },
);

describe.skipIf(!!dockerSkip)(
  `the bundled agent (dist/agent/agent.mjs) as a plain node process${dockerSkip ? ` (skipped: ${dockerSkip})` : ''}`,
  () => {
    const BUNDLE_NODE = `agent-bundle-${process.pid}`;
    const BUNDLE_NETWORK = `flotilla-agent-bundle-${process.pid}`;
    const BUNDLE_CIDR = `10.244.${100 + (process.pid % 50)}.0/24`;
    let cp: TestControlPlane;
    let api: KubeApi;
    let transport: NodeTransport;
    let dir: string;

    beforeAll(async () => {
      await removeNodeLeftovers(docker!, BUNDLE_NODE, BUNDLE_NETWORK);
      cp = await startTestControlPlane();
      ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
      dir = await mkdtemp(join(os.tmpdir(), 'flotilla-agent-bundle-'));
    });

    afterAll(async () => {
      transport?.close();
      await cp?.dispose();
      if (docker) await removeNodeLeftovers(docker, BUNDLE_NODE, BUNDLE_NETWORK);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('runs from a folder with nothing but the bundle and its config, registers, and stops on SIGTERM', async () => {
      const repo = join(import.meta.dirname, '..');
      await promisify(execFile)(
        'npx',
        ['tsx', 'scripts/build-agent.ts', '--outfile', join(dir, 'agent.mjs')],
        { cwd: repo },
      );
      const pkiDir = join(cp.dataDir, 'pki');
      const caPem = await readFile(join(pkiDir, 'ca.crt'), 'utf8');
      const ca = await loadCertificateAuthority(caPem, await readFile(join(pkiDir, 'ca.key'), 'utf8'));
      const client = await issueClientCertificate(ca, nodeIdentity(BUNDLE_NODE));
      const serving = await issueServingCertificate(ca, {
        sans: { dnsNames: [BUNDLE_NODE], ips: ['127.0.0.1'] },
      });
      // The files `flotilla node add` writes next to the bundle.
      await writeFile(join(dir, 'ca.crt'), caPem);
      await writeFile(join(dir, 'node.crt'), client.certPem);
      await writeFile(join(dir, 'node.key'), client.keyPem, { mode: 0o600 });
      await writeFile(join(dir, 'serving.crt'), serving.certPem);
      await writeFile(join(dir, 'serving.key'), serving.keyPem, { mode: 0o600 });
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({
          apiServer: cp.url,
          nodeName: BUNDLE_NODE,
          caFile: 'ca.crt',
          clientCertFile: 'node.crt',
          clientKeyFile: 'node.key',
          servingCertFile: 'serving.crt',
          servingKeyFile: 'serving.key',
          listenAddress: '127.0.0.1',
          port: 0,
          rootDir: 'state',
          networkName: BUNDLE_NETWORK,
          bridgeName: `flab${suffix}`,
          proxy: { enabled: false },
        }),
      );
      const child = spawn(process.execPath, [join(dir, 'agent.mjs'), '--config', join(dir, 'config.json')], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await waitFor(
          'the bundled agent to register',
          () => api.get<Node>(NODES, BUNDLE_NODE).catch(() => undefined),
          20_000,
        );
        await api.patch(NODES, BUNDLE_NODE, undefined, {
          spec: { podCIDR: BUNDLE_CIDR, podCIDRs: [BUNDLE_CIDR] },
        });
        const node = await waitFor(
          'the bundled agent’s Node to be Ready',
          async () => {
            const n = await api.get<Node>(NODES, BUNDLE_NODE);
            return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
          },
          30_000,
        );
        expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^flotilla-agent\/\d+\.\d+\.\d+$/);
        expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBeGreaterThan(0);
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(stderr).toContain('SIGTERM: stopping (pods keep running)');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await docker!
          .getNetwork(BUNDLE_NETWORK)
          .remove()
          .catch(() => undefined);
      }
    }, 90_000);
  },
);
