// A real etcd for benchmarks: started on loopback with a temp data dir and free ports, driven over
// its v3 HTTP/JSON gateway with keep-alive connections, stopped (and its data removed) at the end.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class EtcdMissingError extends Error {
  constructor(binary: string) {
    super(
      `etcd not found (${binary}). This benchmark measures a real etcd in the same run: install it with\n` +
        `  apt-get update && apt-get install -y etcd-server etcd-client`,
    );
    this.name = 'EtcdMissingError';
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function etcdVersion(binary = 'etcd'): string {
  const res = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (res.error || res.status !== 0) throw new EtcdMissingError(binary);
  return /etcd Version: (\S+)/.exec(res.stdout)?.[1] ?? 'unknown';
}

export class EtcdServer {
  private readonly agent: http.Agent;
  private readonly grpcClients: EtcdGrpcClient[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    readonly clientPort: number,
    readonly version: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  }

  static async start(binary = 'etcd'): Promise<EtcdServer> {
    const version = etcdVersion(binary);
    const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-etcd-'));
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const child = spawn(
      binary,
      [
        '--name=bench',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=bench=${peer}`,
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const server = new EtcdServer(child, dataDir, clientPort, version);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`etcd exited during startup (${child.exitCode}): ${stderr}`);
      try {
        await server.put('/bench/ready', 'ok');
        return server;
      } catch (err) {
        if (Date.now() > deadline) {
          await server.stop();
          throw new Error(`etcd did not become ready: ${String(err)} ${stderr}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** POST /v3/kv/put; resolves with the revision of the write (acknowledged = committed and synced). */
  put(key: string, value: string): Promise<number> {
    const body = JSON.stringify({
      key: Buffer.from(key).toString('base64'),
      value: Buffer.from(value).toString('base64'),
    });
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.clientPort,
          path: '/v3/kv/put',
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200) return reject(new Error(`etcd put: HTTP ${res.statusCode} ${text}`));
            const parsed = JSON.parse(text) as { header?: { revision?: string } };
            resolve(Number(parsed.header?.revision ?? 0));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A gRPC client for the same server (see EtcdGrpcClient). */
  grpc(): EtcdGrpcClient {
    const client = new EtcdGrpcClient(`http://127.0.0.1:${this.clientPort}`);
    this.grpcClients.push(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const c of this.grpcClients) c.close();
    this.agent.destroy();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * etcd's native protocol: gRPC over one HTTP/2 connection (what the Kubernetes API server and the
 * Go clientv3 use), hand-encoded because only KV.Put is needed. PutRequest is {1: key, 2: value};
 * the reply's ResponseHeader (field 1) carries the revision in its field 3.
 */
export class EtcdGrpcClient {
  private readonly session: http2.ClientHttp2Session;

  constructor(origin: string) {
    this.session = http2.connect(origin);
    this.session.on('error', () => undefined); // surfaced per request
  }

  put(key: string, value: string): Promise<number> {
    const message = Buffer.concat([protoBytes(1, Buffer.from(key)), protoBytes(2, Buffer.from(value))]);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt8(0, 0); // not compressed
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    return new Promise((resolve, reject) => {
      const stream = this.session.request({
        ':method': 'POST',
        ':path': '/etcdserverpb.KV/Put',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let grpcMessage = '';
      const headerStatus = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) grpcMessage = String(h['grpc-message']);
      };
      stream.on('response', headerStatus);
      stream.on('trailers', headerStatus);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('end', () => {
        if (status !== '0') return reject(new Error(`etcd grpc put: status ${status} ${grpcMessage}`));
        const body = Buffer.concat(chunks).subarray(5);
        resolve(putRevision(body));
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.session.close();
  }
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

function protoBytes(field: number, data: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(data.length), data]);
}

/** Reads fields of a protobuf message: varints and length-delimited values by field number. */
function protoFields(buf: Buffer): Map<number, number | Buffer> {
  const fields = new Map<number, number | Buffer>();
  let i = 0;
  const readVarint = () => {
    let result = 0;
    let mult = 1;
    for (;;) {
      const b = buf[i++] as number;
      result += (b & 0x7f) * mult;
      if (b < 0x80) return result;
      mult *= 128;
    }
  };
  while (i < buf.length) {
    const tag = readVarint();
    const wire = tag & 7;
    if (wire === 0) fields.set(tag >>> 3, readVarint());
    else if (wire === 2) {
      const len = readVarint();
      fields.set(tag >>> 3, buf.subarray(i, i + len));
      i += len;
    } else break; // etcd's PutResponse header has only these wire types
  }
  return fields;
}

function putRevision(body: Buffer): number {
  const header = protoFields(body).get(1);
  if (!Buffer.isBuffer(header)) return 0;
  const revision = protoFields(header).get(3);
  return typeof revision === 'number' ? revision : 0;
}
