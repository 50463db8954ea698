// Runs `flotilla server` as its own process for benchmarks, so its CPU and memory can be measured
// apart from the load generator, and talks to it with plain keep-alive HTTPS requests.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKubeconfig } from '../../src-main/control-plane/apiserver/pki/kubeconfig';
import { createKubeApi } from '../../src-main/shared/kube/client';
import type { KubeApi } from '../../src-main/shared/kube/types';
import { createNodeTransport } from '../../src-main/shared/node/https-transport';
import type { NodeTransport } from '../../src-main/shared/node/https-transport';

export interface ServerProcess {
  pid: number;
  url: string;
  dataDir: string;
  kubeconfig: string;
  client: HttpsClient;
  /** A typed client with its own connection pool (so one workload does not queue behind another). */
  connect(maxSockets?: number): { api: KubeApi; transport: NodeTransport };
  /** Resident memory in bytes (from /proc). */
  rssBytes(): number;
  /** CPU time (user + system) consumed so far, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface HttpsResponse {
  status: number;
  body: string;
}

export interface HttpsClient {
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpsResponse>;
  /** Opens a streaming GET; calls onLine per line; returns a closer. */
  stream(path: string, onLine: (line: string) => void): Promise<() => void>;
  agent: Agent;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function httpsClient(
  creds: { server: string; caPem: string; certPem?: string; keyPem?: string },
  maxSockets = 1024,
): HttpsClient {
  const url = new URL(creds.server);
  const agent = new Agent({
    keepAlive: true,
    maxSockets,
    noDelay: true,
    ca: creds.caPem,
    ...(creds.certPem ? { cert: creds.certPem, key: creds.keyPem } : {}),
  });
  const base = { hostname: url.hostname, port: Number(url.port), agent };
  return {
    agent,
    request(method, path, body, headers = {}) {
      return new Promise((resolve, reject) => {
        const payload =
          body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
        const req = request(
          { ...base, method, path, headers: { 'Content-Type': 'application/json', ...headers } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    stream(path, onLine) {
      return new Promise((resolve, reject) => {
        // Each watch gets its own connection, as each kubectl or informer would.
        const req = request(
          {
            ...base,
            agent: false as unknown as Agent,
            ca: creds.caPem,
            cert: creds.certPem,
            key: creds.keyPem,
            path,
          },
          (res) => {
            if (res.statusCode !== 200) {
              reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
              return;
            }
            let buffered = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffered += chunk;
              let nl;
              while ((nl = buffered.indexOf('\n')) >= 0) {
                onLine(buffered.slice(0, nl));
                buffered = buffered.slice(nl + 1);
              }
            });
            res.on('error', () => undefined);
            resolve(() => req.destroy());
          },
        );
        req.on('error', (err) => reject(err));
        req.end();
      });
    },
  };
}

/**
 * Starts `flotilla server` on a free loopback port with a fresh data dir (`args` adds options such
 * as `--disable scheduler,controllers`) and connects to it: a raw HTTPS client for load generation
 * and `connect()` for typed clients, each with its own connection pool.
 */
export async function startServerProcess(
  options: { args?: string[]; maxSockets?: number } = {},
): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/flotilla.js',
      'server',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--log-level',
      'warn',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const kubeconfig = join(dataDir, 'kubeconfig');
  try {
    await waitFor(
      () => existsSync(kubeconfig) || child.exitCode !== null,
      60_000,
      'the control plane to start',
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (child.exitCode !== null) throw new Error(`flotilla server exited (${child.exitCode}): ${stderr}`);
  const creds = await readKubeconfig(kubeconfig);
  const client = httpsClient(creds, options.maxSockets);
  const transports: NodeTransport[] = [];
  const connect = (maxSockets = options.maxSockets ?? 128) => {
    const transport = createNodeTransport({ ...creds, maxSockets });
    transports.push(transport);
    return { api: createKubeApi(transport), transport };
  };
  const pid = child.pid!;
  const procField = (file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8');
  return {
    pid,
    url: creds.server,
    dataDir,
    kubeconfig,
    client,
    connect,
    rssBytes: () => Number(/VmRSS:\s+(\d+)/.exec(procField('status'))?.[1] ?? 0) * 1024,
    cpuSeconds: () => {
      // Fields after the parenthesised command name: utime is field 14, stime 15 (USER_HZ = 100).
      const stat = procField('stat');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    async stop() {
      client.agent.destroy();
      for (const t of transports) t.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
