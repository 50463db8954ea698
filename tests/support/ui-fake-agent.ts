// A stand-in for a node agent's HTTPS API (shared/agent-api.ts) for UI tests: the API server's real
// pods/log, pods/exec and metrics.k8s.io proxy talks to it exactly as to an agent (mutual TLS with the
// cluster CA), while the containers behind it are scripted. Logs: numbered lines, then one line every
// 100 ms while following. Exec: a line-echoing "shell" that understands `exit N`. Stats: made-up but
// moving CPU and memory figures.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { APISERVER_CLIENT_CN, EXEC_SUBPROTOCOLS } from '../../src-main/shared/agent-api';
import {
  issueServingCertificate,
  loadCertificateAuthority,
  PKI_DIR,
  PKI_FILES,
} from '../../src-main/control-plane/apiserver/pki';

export interface FakeAgent {
  port: number;
  /** Every terminal size the exec sessions were told ([cols, rows]). */
  resizes: [number, number][];
  /** Log requests seen (path + query). */
  logRequests: string[];
  /** Lines written to a pod's log before following (default: 40 numbered lines). */
  setLog(namespace: string, pod: string, container: string, lines: string[]): void;
  close(): Promise<void>;
}

export async function startFakeAgent(dataDir: string, nodeName: string): Promise<FakeAgent> {
  const dir = join(dataDir, PKI_DIR);
  const caPem = await readFile(join(dir, PKI_FILES.caCert), 'utf8');
  const ca = await loadCertificateAuthority(caPem, await readFile(join(dir, PKI_FILES.caKey), 'utf8'));
  const serving = await issueServingCertificate(ca, {
    commonName: nodeName,
    sans: { dnsNames: [nodeName], ips: ['127.0.0.1'] },
  });
  const logs = new Map<string, string[]>();
  const resizes: [number, number][] = [];
  const logRequests: string[] = [];
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => EXEC_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  const server = https.createServer(
    { cert: serving.certPem, key: serving.keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      if (peer?.subject?.CN !== APISERVER_CLIENT_CN) {
        res.writeHead(403).end('only the API server may call the agent');
        return;
      }
      const url = new URL(req.url ?? '/', 'https://agent.invalid');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (parts[0] === 'containerLogs' && parts.length === 4) {
        logRequests.push(`${url.pathname}${url.search}`);
        const [, ns, pod, container] = parts as [string, string, string, string];
        const lines =
          logs.get(`${ns}/${pod}/${container}`) ??
          Array.from({ length: 40 }, (_, i) => `${new Date(0).toISOString()} ${container} line ${i + 1}`);
        const tail = url.searchParams.get('tailLines');
        const shown = tail !== null ? lines.slice(Math.max(0, lines.length - Number(tail))) : lines;
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.write(shown.map((l) => `${l}\n`).join(''));
        if (url.searchParams.get('follow') !== 'true') {
          res.end();
          return;
        }
        let n = 0;
        const timer = setInterval(() => res.write(`followed line ${++n}\n`), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (url.pathname === '/stats/summary') {
        const t = new Date().toISOString();
        const wobble = (Date.now() / 1000) % 10;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            node: {
              nodeName,
              cpu: { time: t, usageNanoCores: Math.round((0.6 + wobble / 20) * 1e9) },
              memory: { time: t, workingSetBytes: Math.round((1.5 + wobble / 10) * 1024 ** 3) },
            },
            pods: [],
          }),
        );
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no route ${url.pathname}`);
    },
  );

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://agent.invalid');
    if (!url.pathname.startsWith('/exec/')) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      const send = (channel: number, text: string) =>
        ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text)]));
      send(1, '/ # ');
      let line = '';
      ws.on('message', (data: Buffer) => {
        const channel = data[0];
        const payload = data.subarray(1).toString('utf8');
        if (channel === 4) {
          const size = JSON.parse(payload) as { Width: number; Height: number };
          resizes.push([size.Width, size.Height]);
          return;
        }
        if (channel !== 0) return;
        for (const ch of payload) {
          if (ch === '\r') {
            send(1, '\r\n');
            const exit = /^exit\s+(\d+)$/.exec(line.trim());
            if (exit) {
              const code = Number(exit[1]);
              send(
                3,
                JSON.stringify(
                  code === 0
                    ? { metadata: {}, status: 'Success' }
                    : {
                        metadata: {},
                        status: 'Failure',
                        reason: 'NonZeroExitCode',
                        message: `command terminated with non-zero exit code: error executing command, exit code ${code}`,
                        details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
                      },
                ),
              );
              ws.close(1000);
              return;
            }
            if (line.trim()) send(1, `you said: ${line.trim()}\r\n`);
            send(1, '/ # ');
            line = '';
          } else {
            line += ch;
            send(1, ch);
          }
        }
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    resizes,
    logRequests,
    setLog(namespace, pod, container, lines) {
      logs.set(`${namespace}/${pod}/${container}`, lines);
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
