// The proxy end to end over real TLS, with the real kubectl: a real control plane, and in place of a
// node's agent a small HTTPS server that speaks the agent contract (shared/agent-api.ts): it accepts
// only the API server's client certificate, serves a log, a v5 WebSocket exec and a stats summary.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APISERVER_CLIENT_CN, ExecChannel } from '../../../shared/agent-api';
import type { StatsSummary } from '../../../shared/agent-api';
import { createLogger } from '../../../platform/logger';
import { startControlPlane } from '../../index';
import type { ControlPlane } from '../../index';
import { ensurePki, issueClientCertificate, issueServingCertificate, nodeIdentity } from '../pki';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const hasKubectl = existsSync(KUBECTL);

let dir: string;
let cp: ControlPlane;
let agent: https.Server;
const seen: { path: string; cn: string }[] = [];

async function startFakeAgent(dataDir: string): Promise<number> {
  const pki = await ensurePki(dataDir);
  const serving = await issueServingCertificate(pki.ca, { sans: { dnsNames: ['fake'], ips: ['127.0.0.1'] } });
  agent = https.createServer({
    ...serving,
    cert: serving.certPem,
    key: serving.keyPem,
    ca: pki.caPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const cnOf = (req: { socket: unknown }) =>
    String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
  agent.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    seen.push({ path: `${url.pathname}${url.search}`, cn: cnOf(req) });
    if (cnOf(req) !== APISERVER_CLIENT_CN) {
      res.writeHead(403).end('only the API server');
      return;
    }
    if (url.pathname === '/containerLogs/default/web/web') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const lines = ['one', 'two', 'three'];
      if (url.searchParams.get('follow') !== 'true') {
        res.end(lines.map((l) => `${l}\n`).join(''));
        return;
      }
      // Follow: one line at a time, then end (as when the container exits).
      let i = 0;
      const t = setInterval(() => {
        if (i < lines.length) res.write(`${lines[i++]}\n`);
        else {
          clearInterval(t);
          res.end();
        }
      }, 50);
      return;
    }
    if (url.pathname === '/stats/summary') {
      const time = new Date().toISOString();
      const summary: StatsSummary = {
        node: {
          nodeName: 'fake',
          cpu: { time, usageNanoCores: 250_000_000 },
          memory: { time, workingSetBytes: 512 * 1024 * 1024 },
        },
        pods: [
          {
            podRef: { name: 'web', namespace: 'default', uid: '' },
            cpu: { time, usageNanoCores: 5_000_000 },
            memory: { time, workingSetBytes: 20 * 1024 * 1024 },
            containers: [
              {
                name: 'web',
                cpu: { time, usageNanoCores: 5_000_000 },
                memory: { time, workingSetBytes: 20 * 1024 * 1024 },
              },
            ],
          },
        ],
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summary));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no such path');
  });
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false),
  });
  agent.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://x');
    seen.push({ path: `${url.pathname}${url.search}`, cn: cnOf(req) });
    wss.handleUpgrade(req, socket, head, (ws) => {
      const command = url.searchParams.getAll('command');
      const send = (channel: number, data: string) =>
        ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
      const finish = (code: number) => {
        send(
          ExecChannel.error,
          JSON.stringify(
            code === 0
              ? { metadata: {}, status: 'Success' }
              : {
                  metadata: {},
                  status: 'Failure',
                  message: `command terminated with non-zero exit code: ${code}`,
                  reason: 'NonZeroExitCode',
                  details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
                },
          ),
        );
        ws.close(1000);
      };
      if (command[0] === 'echo') {
        send(ExecChannel.stdout, `${command.slice(1).join(' ')}\n`);
        finish(0);
      } else if (command[0] === 'cat') {
        ws.on('message', (data: Buffer) => {
          if (data[0] === ExecChannel.stdin) send(ExecChannel.stdout, data.subarray(1).toString());
          if (data[0] === ExecChannel.close && data[1] === ExecChannel.stdin) finish(0);
        });
      } else {
        send(ExecChannel.stderr, 'boom\n');
        finish(3);
      }
    });
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  return (agent.address() as AddressInfo).port;
}

async function kubectl(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL, args, { env: { ...process.env, KUBECONFIG: cp.kubeconfigPath } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

async function apply(obj: unknown, sub?: string) {
  const file = path.join(dir, `obj-${Math.random().toString(36).slice(2)}.json`);
  await (await import('node:fs/promises')).writeFile(file, JSON.stringify(obj));
  const args = sub ? ['replace', '--subresource', sub, '-f', file] : ['create', '-f', file];
  const r = await run(KUBECTL, args, { env: { ...process.env, KUBECONFIG: cp.kubeconfigPath } });
  return r.stdout;
}

describe.skipIf(!hasKubectl)(
  'pods/log, pods/exec and metrics.k8s.io through the API server (fake agent)',
  () => {
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'flotilla-proxy-'));
      const port = await startFakeAgent(dir);
      cp = await startControlPlane({
        dataDir: dir,
        host: '127.0.0.1',
        port: 0,
        storeUrl: 'memory://',
        log: createLogger({ level: 'warn' }),
        disable: ['scheduler', 'controllers'],
      });
      await apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'fake' } });
      const ready = {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'ok',
        lastHeartbeatTime: new Date().toISOString(),
        lastTransitionTime: new Date().toISOString(),
      };
      const node = JSON.parse(
        (
          await run(KUBECTL, ['get', 'node', 'fake', '-o', 'json'], {
            env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
          })
        ).stdout,
      );
      node.status = {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
        conditions: [ready],
        capacity: { cpu: '2', memory: '4Gi', pods: '110' },
        allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      };
      await apply(node, 'status');
      await apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'default' },
        spec: { nodeName: 'fake', containers: [{ name: 'web', image: 'x' }] },
      });
      await apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'two', namespace: 'default' },
        spec: {
          nodeName: 'fake',
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'x' },
          ],
        },
      });
      const pod = JSON.parse(
        (
          await run(KUBECTL, ['get', 'pod', 'web', '-o', 'json'], {
            env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
          })
        ).stdout,
      );
      pod.status = {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'web',
            image: 'x',
            imageID: '',
            ready: true,
            restartCount: 0,
            containerID: 'docker://1',
            state: { running: { startedAt: new Date().toISOString() } },
          },
        ],
      };
      await apply(pod, 'status');
    }, 60_000);

    afterAll(async () => {
      await cp?.stop();
      agent?.closeAllConnections();
      await new Promise<void>((resolve) => (agent ? agent.close(() => resolve()) : resolve()));
      await rm(dir, { recursive: true, force: true });
    });

    it('kubectl logs (plain, --tail, -f) is proxied to the agent with the API server certificate', async () => {
      const plain = await kubectl(['logs', 'web', '--tail=2', '--timestamps']);
      expect(plain).toMatchObject({ code: 0, stdout: 'one\ntwo\nthree\n' });
      const sent = seen.find((s) => s.path.startsWith('/containerLogs/default/web/web?'))!;
      expect(sent.cn).toBe(APISERVER_CLIENT_CN);
      expect(sent.path).toContain('tailLines=2');
      expect(sent.path).toContain('timestamps=true');
      const follow = await kubectl(['logs', '-f', 'web']);
      expect(follow).toMatchObject({ code: 0, stdout: 'one\ntwo\nthree\n' });
    });

    it('kubectl logs answers Kubernetes errors for containers that are not there', async () => {
      const wrong = await kubectl(['logs', 'web', '-c', 'nope']);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain('container nope is not valid for pod web');
      const waiting = await kubectl(['logs', 'two', '-c', 'b']);
      expect(waiting.stderr).toContain('container "b" in pod "two" is waiting to start: ContainerCreating');
    });

    it('kubectl exec runs over WebSocket: output, stdin, and exit codes', async () => {
      const echo = await kubectl(['exec', 'web', '--', 'echo', 'hello', 'world']);
      expect(echo).toMatchObject({ code: 0, stdout: 'hello world\n' });
      const cat = await kubectl(['exec', '-i', 'web', '--', 'cat'], 'piped input\n');
      expect(cat).toMatchObject({ code: 0, stdout: 'piped input\n' });
      const fail = await kubectl(['exec', 'web', '--', 'false']);
      expect(fail.code).toBe(3);
      expect(fail.stderr).toContain('boom');
      const upgrade = seen.filter((s) => s.path.startsWith('/exec/default/web/web?'));
      expect(upgrade.length).toBeGreaterThanOrEqual(3);
      expect(upgrade.every((s) => s.cn === APISERVER_CLIENT_CN)).toBe(true);
    });

    it('kubectl top nodes and pods read metrics.k8s.io', async () => {
      const nodes = await kubectl(['top', 'nodes']);
      expect(nodes.code, nodes.stderr).toBe(0);
      expect(nodes.stdout).toMatch(/fake\s+250m\s+12%\s+512Mi\s+12%/);
      const pods = await kubectl(['top', 'pods']);
      expect(pods.code, pods.stderr).toBe(0);
      expect(pods.stdout).toMatch(/web\s+5m\s+20Mi/);
      const missing = await kubectl(['top', 'pod', 'nope']);
      expect(missing.stderr).toContain('not found');
    });

    it('a node identity may not read logs or exec; it may patch only its own Node', async () => {
      const pki = await ensurePki(dir);
      const cert = await issueClientCertificate(pki.ca, nodeIdentity('fake'));
      const call = (method: string, p: string, body?: unknown) =>
        new Promise<{ code: number; text: string }>((resolve, reject) => {
          const req = https.request(
            `${cp.url}${p}`,
            {
              method,
              ca: pki.caPem,
              cert: cert.certPem,
              key: cert.keyPem,
              headers: {
                'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
              },
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve({ code: res.statusCode ?? 0, text }));
            },
          );
          req.on('error', reject);
          req.end(body === undefined ? undefined : JSON.stringify(body));
        });
      expect((await call('GET', '/api/v1/namespaces/default/pods/web/log')).code).toBe(403);
      expect((await call('GET', '/api/v1/namespaces/default/pods/web')).code).toBe(200);
      expect(
        (await call('PATCH', '/api/v1/nodes/fake/status', { metadata: { labels: { a: 'b' } } })).code,
      ).toBe(200);
      const other = await call('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'other' },
      });
      expect(other.code).toBe(403);
      expect(other.text).toContain('not allowed to create a Node named \\"other\\"');
      expect(
        (await call('PATCH', '/api/v1/namespaces/default/pods/web/status', { status: { message: 'x' } }))
          .code,
      ).toBe(200);
    });
  },
);
