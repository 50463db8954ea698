// The tunnel manager against a fake connection (tests/enroll-ssh-tunnel.test.ts runs the real one):
// the remote port sshd chose is kept and asked for again, TunnelUp follows the connection with its
// transitions written in order, a restart's hold retries until the host answers, stop ends it all.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../shared/kube/types';
import type { Machine, MachineCondition, MachineStatus } from '../../shared/machine';
import { HostUnreachable, type SshConnection } from '../ssh';
import { machineDir } from './node-files';
import { createTunnelManager, type TunnelManager } from './tunnel';

const M: Machine = {
  apiVersion: 'flotilla.dev/v1',
  kind: 'Machine',
  metadata: { name: 'vm' },
  spec: { type: 'ssh', ssh: { address: '10.0.0.2' } },
};

/** Just what ./forward uses of a connection: forwardIn, 'tcp connection', onClose, close. */
class FakeConnection {
  readonly name = 'root@10.0.0.2:22';
  readonly requested: number[] = [];
  private listeners = new Set<(reason: string) => void>();
  readonly raw = {
    on: () => undefined,
    forwardIn: (_h: string, port: number, cb: (err: Error | undefined, bound: number) => void) => {
      this.requested.push(port);
      cb(undefined, port === 0 ? 40123 : port);
    },
    unforwardIn: (_h: string, _p: number, cb: () => void) => cb(),
  };
  onClose(l: (reason: string) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  exec() {
    return Promise.resolve({ code: 0, stdout: '', stderr: '' });
  }
  drop(reason = 'connection reset') {
    for (const l of [...this.listeners]) l(reason);
    this.listeners.clear();
  }
  close() {
    this.drop('closed');
  }
}

function fakeApi() {
  let status: MachineStatus = { phase: 'Ready' };
  const writes: MachineCondition[] = [];
  const api = {
    get: () => Promise.resolve({ ...M, status }),
    patch: (_r: unknown, _n: string, _ns: unknown, body: { status: MachineStatus }) => {
      status = { ...status, ...body.status };
      const c = body.status.conditions?.find((x) => x.type === 'TunnelUp');
      if (c) writes.push(c);
      return Promise.resolve({ ...M, status });
    },
  } as unknown as KubeApi;
  return { api, writes, status: () => status };
}

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('tunnel manager', () => {
  let dataDir: string;
  let manager: TunnelManager | undefined;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'flotilla-tunnel-spec-'));
  });
  afterEach(async () => {
    await manager?.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the port sshd chose, re-establishes after a drop and says so in TunnelUp', async () => {
    const { api, writes } = fakeApi();
    const events: string[] = [];
    const conns: FakeConnection[] = [];
    manager = createTunnelManager({
      api,
      events: { event: (_o, type, reason) => events.push(`${type} ${reason}`) },
      dataDir,
      local: { host: '127.0.0.1', port: 6443 },
      connect: () => {
        const c = new FakeConnection();
        conns.push(c);
        return Promise.resolve(c as unknown as SshConnection);
      },
      now: () => new Date(),
      retry: { initialMs: 1, maxMs: 10 },
    });
    expect(await manager.open(M)).toBe(40123);
    expect(conns[0]!.requested).toEqual([0]);
    const saved = JSON.parse(await readFile(path.join(machineDir(dataDir, 'vm'), 'tunnel.json'), 'utf8'));
    expect(saved).toEqual({ remotePort: 40123 });
    expect(manager.condition('vm')).toMatchObject({ status: 'True', reason: 'Established' });
    await until('the Established write', () => writes.length === 1);

    conns[0]!.drop();
    await until('the second connection', () => manager!.info('vm')?.reestablished === 1);
    expect(conns[1]!.requested).toEqual([40123]);
    await until('both transitions written', () => writes.length === 3);
    expect(writes.map((w) => `${w.status} ${w.reason}`)).toEqual([
      'True Established',
      'False Disconnected',
      'True Reestablished',
    ]);
    expect(writes[1]!.message).toContain('connection reset');
    expect(writes[2]!.message).toContain('re-established 1 time');
    // Each write records its own transition, so a quick drop still moves lastTransitionTime.
    expect(Date.parse(writes[2]!.lastTransitionTime!)).toBeGreaterThanOrEqual(
      Date.parse(writes[0]!.lastTransitionTime!),
    );
    expect(events).toEqual(['Normal TunnelUp', 'Warning TunnelDown', 'Normal TunnelUp']);

    // Opening again (a re-run of the enrollment) reuses the tunnel.
    expect(await manager.open(M)).toBe(40123);
    expect(conns).toHaveLength(2);
    await manager.stop('vm');
    expect(manager.has('vm')).toBe(false);
  });

  it('a later manager (a restarted control plane) asks for the same port', async () => {
    const { api } = fakeApi();
    const conns: FakeConnection[] = [];
    const make = () =>
      createTunnelManager({
        api,
        events: { event: () => undefined },
        dataDir,
        local: { host: '127.0.0.1', port: 6443 },
        connect: () => {
          const c = new FakeConnection();
          conns.push(c);
          return Promise.resolve(c as unknown as SshConnection);
        },
        now: () => new Date(),
      });
    const first = make();
    await first.open(M);
    await first.stopAll();
    manager = make();
    manager.hold(M);
    await until('held', () => manager!.info('vm')?.state === 'up');
    expect(conns[1]!.requested).toEqual([40123]);
  });

  it('holds after a restart: retries with backoff while the host does not answer, stops when told', async () => {
    const { api, writes } = fakeApi();
    let attempts = 0;
    let reachable = false;
    manager = createTunnelManager({
      api,
      events: { event: () => undefined },
      dataDir,
      local: { host: '127.0.0.1', port: 6443 },
      connect: () => {
        attempts++;
        return reachable
          ? Promise.resolve(new FakeConnection() as unknown as SshConnection)
          : Promise.reject(new HostUnreachable('root@10.0.0.2:22', 'no route to host'));
      },
      now: () => new Date(),
      retry: { initialMs: 1, maxMs: 5 },
    });
    manager.hold(M);
    manager.hold(M); // idempotent: one tunnel per Machine
    await until('a few attempts', () => attempts >= 3);
    expect(manager.condition('vm')).toMatchObject({ status: 'False', reason: 'Connecting' });
    expect(manager.condition('vm')?.message).toContain('no route to host');
    reachable = true;
    await until('up', () => manager!.info('vm')?.state === 'up');
    await until('the True write', () => writes.at(-1)?.status === 'True');
    await manager.stop('vm');
    const after = attempts;
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(after);
  });

  it('a failing first open rejects with the typed error and holds nothing', async () => {
    const { api } = fakeApi();
    manager = createTunnelManager({
      api,
      events: { event: () => undefined },
      dataDir,
      local: { host: '127.0.0.1', port: 6443 },
      connect: () => Promise.reject(new HostUnreachable('root@10.0.0.2:22', 'connection refused')),
      now: () => new Date(),
    });
    await expect(manager.open(M)).rejects.toBeInstanceOf(HostUnreachable);
    expect(manager.has('vm')).toBe(false);
  });
});
