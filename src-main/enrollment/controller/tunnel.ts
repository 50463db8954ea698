// The SSH tunnels of Machines whose host cannot reach the API server directly (a laptop behind NAT
// and a cloud VM): per Machine one long-lived SSH connection with a remote forward, the host's
// 127.0.0.1:PORT → this API server, so the agent's config says https://127.0.0.1:PORT (a name the API
// server's certificate always carries). The control plane holds it: ./forward re-establishes it after
// a drop (after 50 ms, then backing off, doubling up to 5 s; the same remote port), and after a control-plane restart the
// controller holds it again for every Machine whose agent was installed with a tunnel.
//
// The remote port is chosen by the host's sshd the first time and kept in
// <dataDir>/machines/<name>/tunnel.json, so every later connection (and the agent's config, which is
// part of the content-addressed release) asks for the same one.
//
// Its health is the Machine's TunnelUp condition (reason Established / Reestablished / Disconnected /
// Connecting, with the last transition time), plus an Event on each change. The condition is kept here
// in memory and merged into every status write the enrollment makes, so the two writers do not undo
// each other's conditions.
//
// The other direction — the API server reaching the agent's HTTPS API for logs and exec — goes to the
// node's address directly (see shared/agent-api.ts); a host the control plane reaches over SSH is
// normally reachable on the agent's port as well. Carrying it over this connection as a local forward
// would need a per-node dialer in the API server's agent client (control-plane/apiserver/proxy).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { EventRecorder, KubeApi, KubeObjectLike } from '../../shared/kube/types';
import { isKubeApiError } from '../../shared/kube/types';
import {
  MACHINE_CONDITION_TUNNEL,
  type Machine,
  type MachineCondition,
  type MachineStatus,
} from '../../shared/machine';
import { RESOURCES } from '../../shared/resources';
import { openRemoteForward, type RemoteForward, type SshConnection } from '../ssh';
import { machineDir } from './node-files';
import { withCondition } from './status';

export interface TunnelManagerOptions {
  api: KubeApi;
  events: EventRecorder;
  dataDir: string;
  /** Where forwarded connections go: this API server. */
  local: { host: string; port: number };
  /** A fresh connection to the Machine (read again each time: credentials may have changed). */
  connect(machineName: string): Promise<SshConnection>;
  now(): Date;
  /** Backoff of ./forward after a drop, and (doubled, up to maxMs × 6) of holding after a restart. */
  retry?: { initialMs?: number; maxMs?: number };
  log?: { info(m: string): void; warn(m: string): void };
}

export interface TunnelInfo {
  state: 'connecting' | 'up' | 'down';
  remotePort?: number;
  reestablished: number;
  lastError?: string;
}

export interface TunnelManager {
  /**
   * The tunnel of an enrolling Machine, up: resolves with the remote port. A first attempt that fails
   * rejects with its typed error (the enrollment step fails with it).
   */
  open(machine: Machine): Promise<number>;
  /** Holds the tunnel of an enrolled Machine (after a restart): retries in the background until up. */
  hold(machine: Machine): void;
  has(name: string): boolean;
  info(name: string): TunnelInfo | undefined;
  /** The TunnelUp condition as this manager last set it (merged into the enrollment's status writes). */
  condition(name: string): Omit<MachineCondition, 'lastTransitionTime'> | undefined;
  stop(name: string): Promise<void>;
  stopAll(): Promise<void>;
}

interface Entry {
  forward?: RemoteForward;
  condition?: Omit<MachineCondition, 'lastTransitionTime'>;
  stopped: boolean;
  holding?: NodeJS.Timeout;
  /** Serializes this Machine's condition writes. */
  writes: Promise<void>;
  machine: Machine;
}

const TUNNEL_FILE = 'tunnel.json';
// Looked up here rather than imported from ./enroll, which imports this module.
const MACHINES_RESOURCE = RESOURCES.find((r) => r.group === 'flotilla.dev' && r.plural === 'machines')!;

async function savedPort(dataDir: string, name: string): Promise<number> {
  try {
    const saved = JSON.parse(await readFile(path.join(machineDir(dataDir, name), TUNNEL_FILE), 'utf8')) as {
      remotePort?: unknown;
    };
    return typeof saved.remotePort === 'number' ? saved.remotePort : 0;
  } catch {
    return 0;
  }
}

async function savePort(dataDir: string, name: string, remotePort: number): Promise<void> {
  const dir = machineDir(dataDir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, TUNNEL_FILE), `${JSON.stringify({ remotePort })}\n`);
}

export function createTunnelManager(options: TunnelManagerOptions): TunnelManager {
  const entries = new Map<string, Entry>();
  const log = options.log ?? { info: () => undefined, warn: () => undefined };
  // A dropped session is usually back at once (a killed sshd child, a blip): try again soon.
  const initialMs = options.retry?.initialMs ?? 50;
  const maxMs = options.retry?.maxMs ?? 5000;

  const setCondition = (name: string, entry: Entry, c: Omit<MachineCondition, 'lastTransitionTime'>) => {
    const previous = entry.condition;
    const at = options.now(); // when it changed, not when the write gets its turn
    entry.condition = c;
    if (previous?.status !== c.status || previous?.reason !== c.reason) {
      // Opening it at start-up is routine; a drop, or failing to open it, is worth a warning.
      const opening = !previous && c.reason === 'Connecting';
      options.events.event(
        entry.machine as never,
        c.status === 'True' || opening ? 'Normal' : 'Warning',
        c.status === 'True' ? 'TunnelUp' : opening ? 'TunnelOpening' : 'TunnelDown',
        c.message ?? '',
      );
    }
    entry.writes = entry.writes.then(async () => {
      if (entry.stopped) return;
      try {
        const m = await options.api.get<Machine & KubeObjectLike>(MACHINES_RESOURCE, name);
        if ((m.metadata as { deletionTimestamp?: string }).deletionTimestamp) return;
        // Every change is written in order (a quick down-and-up still moves lastTransitionTime).
        const next: MachineStatus = withCondition(m.status ?? {}, c, at);
        await options.api.patch(
          MACHINES_RESOURCE,
          name,
          undefined,
          { status: { conditions: next.conditions } },
          'merge',
          'status',
        );
      } catch (err) {
        if (!isKubeApiError(err, 404)) log.warn(`machine ${name}: cannot write TunnelUp: ${String(err)}`);
      }
    });
  };

  const describe = (f: RemoteForward): string => {
    const s = f.status();
    return `the host's ${s.remoteHost}:${s.remotePort} is forwarded over SSH to the API server${s.reestablished ? ` (re-established ${s.reestablished} time${s.reestablished === 1 ? '' : 's'})` : ''}`;
  };

  const start = async (name: string, entry: Entry): Promise<RemoteForward> => {
    const remotePort = await savedPort(options.dataDir, name);
    // Assigned once open; state changes before that (the first 'up') are reported below instead.
    let forward: RemoteForward | undefined = undefined;
    forward = await openRemoteForward({
      connect: () => options.connect(name),
      remotePort,
      local: options.local,
      retry: { initialMs, maxMs },
      onStateChange: (state, detail) => {
        if (entry.stopped || state === 'stopped' || !forward || entry.forward !== forward) return;
        if (state === 'up')
          setCondition(name, entry, {
            type: MACHINE_CONDITION_TUNNEL,
            status: 'True',
            reason: 'Reestablished',
            message: describe(forward),
          });
        else if (state === 'down')
          setCondition(name, entry, {
            type: MACHINE_CONDITION_TUNNEL,
            status: 'False',
            reason: 'Disconnected',
            message: `the SSH connection carrying the tunnel dropped (${detail ?? 'closed'}); re-establishing`,
          });
      },
    });
    if (entry.stopped) {
      await forward.stop();
      throw new Error(`the tunnel of ${name} was stopped`);
    }
    entry.forward = forward;
    if (forward.remotePort !== remotePort) await savePort(options.dataDir, name, forward.remotePort);
    setCondition(name, entry, {
      type: MACHINE_CONDITION_TUNNEL,
      status: 'True',
      reason: 'Established',
      message: describe(forward),
    });
    log.info(`machine ${name}: tunnel up on the host's 127.0.0.1:${forward.remotePort}`);
    return forward;
  };

  const newEntry = (machine: Machine): Entry => {
    const entry: Entry = { stopped: false, writes: Promise.resolve(), machine };
    entries.set(machine.metadata.name, entry);
    return entry;
  };

  const stopEntry = async (name: string, entry: Entry) => {
    entry.stopped = true;
    clearTimeout(entry.holding);
    if (entries.get(name) === entry) entries.delete(name);
    await entry.forward?.stop();
  };

  return {
    async open(machine) {
      const name = machine.metadata.name;
      const existing = entries.get(name);
      if (existing?.forward) {
        existing.machine = machine;
        await existing.forward.waitUntilUp(20_000);
        return existing.forward.remotePort;
      }
      // A background hold still trying: this attempt replaces it and reports its own error.
      if (existing) await stopEntry(name, existing);
      const entry = newEntry(machine);
      try {
        return (await start(name, entry)).remotePort;
      } catch (err) {
        await stopEntry(name, entry);
        throw err;
      }
    },

    hold(machine) {
      const name = machine.metadata.name;
      if (entries.has(name)) return;
      const entry = newEntry(machine);
      // Whatever the status said, the tunnel is not up until this process opens it (it went down with
      // the previous control plane): say so, so lastTransitionTime records the gap.
      setCondition(name, entry, {
        type: MACHINE_CONDITION_TUNNEL,
        status: 'False',
        reason: 'Connecting',
        message: 'opening the tunnel (the control plane started)',
      });
      let delay = initialMs;
      const attempt = async () => {
        if (entry.stopped) return;
        try {
          await start(name, entry);
        } catch (err) {
          if (entry.stopped) return;
          const message = err instanceof Error ? err.message : String(err);
          setCondition(name, entry, {
            type: MACHINE_CONDITION_TUNNEL,
            status: 'False',
            reason: 'Connecting',
            message: `cannot open the tunnel: ${message}; retrying`,
          });
          delay = Math.min(delay * 2, maxMs * 6);
          entry.holding = setTimeout(() => void attempt(), delay);
          entry.holding.unref();
        }
      };
      void attempt();
    },

    has: (name) => entries.has(name),

    info(name) {
      const f = entries.get(name)?.forward;
      if (!entries.has(name)) return undefined;
      if (!f) return { state: 'connecting', reestablished: 0 };
      const s = f.status();
      return {
        state: s.state === 'up' ? 'up' : s.state === 'connecting' ? 'connecting' : 'down',
        remotePort: s.remotePort,
        reestablished: s.reestablished,
        ...(s.lastError ? { lastError: s.lastError } : {}),
      };
    },

    condition: (name) => entries.get(name)?.condition,

    async stop(name) {
      const entry = entries.get(name);
      if (entry) await stopEntry(name, entry);
    },

    async stopAll() {
      await Promise.all([...entries].map(([name, entry]) => stopEntry(name, entry)));
    },
  };
}
