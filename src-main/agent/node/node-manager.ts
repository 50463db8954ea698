// The agent's Node: registers it (create, or adopt the existing one and bring its labels up to date),
// waits for the control plane to assign a pod CIDR, renews the node Lease every 10 s and writes the
// status when it changes (or at least every 60 s). Every API call survives an unreachable API server:
// failures are logged and retried, and the next successful write carries the newest status.
import { findResourceByKind } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { isKubeApiError } from '../../shared/kube/types';
import type { KubeApi } from '../../shared/kube/types';
import type { Clock, Timer } from '../clock';
import { systemClock } from '../clock';
import type { Taint } from '../config';
import type { MachineFacts } from './machine';
import { buildNodeStatus, significantlyDifferent, wellKnownLabels } from './node-status';
import type { NodeHealth } from './node-status';
import type { Lease, Node, NodeStatus } from './types';

export const NODES = findResourceByKind('v1', 'Node') as ResourceInfo;
export const LEASES = findResourceByKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeManagerOptions {
  api: KubeApi;
  nodeName: string;
  labels: Record<string, string>;
  taints: Taint[];
  port: number;
  agentVersion: string;
  readFacts: () => Promise<MachineFacts>;
  health: () => Promise<NodeHealth>;
  clock?: Clock;
  leaseIntervalMs?: number;
  leaseDurationSeconds?: number;
  /** How often the status is recomputed (written only when changed, or when statusMaxAgeMs passed). */
  statusCheckIntervalMs?: number;
  statusMaxAgeMs?: number;
  log?: (message: string) => void;
}

/** MicroTime as Kubernetes writes it: RFC 3339 with 6 fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class NodeManager {
  private readonly api: KubeApi;
  private readonly clock: Clock;
  private readonly log: (message: string) => void;
  private node?: Node;
  private lease?: Lease;
  private lastStatus?: NodeStatus;
  private lastStatusAt = 0;
  private statusWriteFailed = false;
  private leaseTimer?: Timer;
  private statusTimer?: Timer;
  private running = false;
  private statusInFlight?: Promise<void>;
  private statusAgain = false;
  private leaseFailures = 0;
  /** Ends registration retries and the pod CIDR wait when the agent stops. */
  private readonly stopController = new AbortController();

  constructor(private readonly options: NodeManagerOptions) {
    this.api = options.api;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? (() => undefined);
  }

  get nodeUid(): string | undefined {
    return this.node?.metadata.uid;
  }

  /** Creates the Node, or adopts the existing one. Retries (with backoff) until the API server answers. */
  async register(): Promise<Node> {
    const facts = await this.options.readFacts();
    const health = await this.options.health();
    const labels = { ...wellKnownLabels(this.options.nodeName, facts), ...this.options.labels };
    const status = buildNodeStatus({
      facts,
      health,
      port: this.options.port,
      agentVersion: this.options.agentVersion,
      now: new Date(this.clock.now()).toISOString(),
    });
    for (let attempt = 0; ; attempt++) {
      if (this.stopController.signal.aborted) throw new Error('the agent is stopping');
      try {
        try {
          this.node = await this.api.create<Node>(NODES, {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: { name: this.options.nodeName, labels },
            spec: this.options.taints.length ? { taints: this.options.taints } : {},
            status,
          });
          this.log(`registered node ${this.options.nodeName}`);
        } catch (err) {
          if (!isKubeApiError(err, 409)) throw err;
          const existing = await this.api.get<Node>(NODES, this.options.nodeName);
          const missing = Object.entries(labels).filter(([k, v]) => existing.metadata.labels?.[k] !== v);
          this.node = missing.length
            ? await this.api.patch<Node>(NODES, this.options.nodeName, undefined, {
                metadata: { labels: Object.fromEntries(missing) },
              })
            : existing;
          this.log(`node ${this.options.nodeName} already registered: adopted it`);
        }
        return this.node;
      } catch (err) {
        const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
        this.log(
          `registering node ${this.options.nodeName} failed (retrying in ${delay} ms): ${describe(err)}`,
        );
        await this.sleep(delay);
      }
    }
  }

  /** The node's pod CIDR once the control plane's node IPAM assigned it (polls; survives API outages). */
  async waitForPodCidr(): Promise<string> {
    let waited = 0;
    for (;;) {
      if (this.stopController.signal.aborted) throw new Error('the agent is stopping');
      const cidr = this.node?.spec?.podCIDRs?.[0] || this.node?.spec?.podCIDR;
      if (cidr) return cidr;
      await this.sleep(500);
      waited += 500;
      if (waited % 15_000 === 0)
        this.log(`waiting for the control plane to assign a pod CIDR to node ${this.options.nodeName}`);
      try {
        this.node = await this.api.get<Node>(NODES, this.options.nodeName);
      } catch (err) {
        if (waited % 15_000 === 0) this.log(`reading node ${this.options.nodeName}: ${describe(err)}`);
      }
    }
  }

  /** Starts the lease and status loops (the first of each runs now). */
  start(): void {
    this.running = true;
    void this.renewLease();
    void this.updateStatus();
  }

  /** Something the status depends on changed: recompute (and write if different) now. */
  requestStatusUpdate(): void {
    if (this.running) void this.updateStatus();
  }

  stop(): void {
    this.running = false;
    this.stopController.abort();
    this.leaseTimer?.cancel();
    this.statusTimer?.cancel();
  }

  /** Resolves when a status pass in flight has finished (tests). */
  async settled(): Promise<void> {
    while (this.statusInFlight) await this.statusInFlight;
  }

  // ------------------------------------------------------------------------------------- lease

  private async renewLease(): Promise<void> {
    if (!this.running) return;
    let ok = false;
    try {
      await this.tryRenewLease();
      ok = true;
    } catch (err) {
      if (isKubeApiError(err, 409) || isKubeApiError(err, 404)) this.lease = undefined;
      this.log(`renewing lease ${NODE_LEASE_NAMESPACE}/${this.options.nodeName} failed: ${describe(err)}`);
    }
    this.leaseFailures = ok ? 0 : this.leaseFailures + 1;
    const interval = this.options.leaseIntervalMs ?? 10_000;
    // After a failure retry sooner (200 ms doubling), so a short outage does not cost a whole period.
    const delay = ok ? interval : Math.min(interval, 200 * 2 ** Math.min(this.leaseFailures, 6));
    if (this.running) this.leaseTimer = this.clock.setTimeout(() => void this.renewLease(), delay);
  }

  private async tryRenewLease(): Promise<void> {
    const name = this.options.nodeName;
    const spec = {
      holderIdentity: name,
      leaseDurationSeconds: this.options.leaseDurationSeconds ?? 40,
      renewTime: microTime(this.clock.now()),
    };
    if (!this.lease) {
      try {
        this.lease = await this.api.get<Lease>(LEASES, name, NODE_LEASE_NAMESPACE);
      } catch (err) {
        if (!isKubeApiError(err, 404)) throw err;
        const uid = this.node?.metadata.uid;
        this.lease = await this.api.create<Lease>(LEASES, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name,
            namespace: NODE_LEASE_NAMESPACE,
            // Owned by the Node: deleting the Node removes its lease.
            ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid }] } : {}),
          },
          spec,
        });
        return;
      }
    }
    this.lease = await this.api.update<Lease>(LEASES, {
      ...this.lease,
      spec: { ...this.lease.spec, ...spec },
    });
  }

  // ------------------------------------------------------------------------------------ status

  private updateStatus(): Promise<void> {
    if (this.statusInFlight) {
      this.statusAgain = true;
      return this.statusInFlight;
    }
    this.statusTimer?.cancel();
    this.statusInFlight = (async () => {
      try {
        do {
          this.statusAgain = false;
          await this.statusPass();
        } while (this.statusAgain && this.running);
      } finally {
        this.statusInFlight = undefined;
        if (this.running)
          this.statusTimer = this.clock.setTimeout(
            () => void this.updateStatus(),
            this.statusWriteFailed ? 2_000 : (this.options.statusCheckIntervalMs ?? 10_000),
          );
      }
    })();
    return this.statusInFlight;
  }

  private async statusPass(): Promise<void> {
    let status: NodeStatus;
    try {
      const [facts, health] = await Promise.all([this.options.readFacts(), this.options.health()]);
      status = buildNodeStatus({
        facts,
        health,
        port: this.options.port,
        agentVersion: this.options.agentVersion,
        ...(this.lastStatus?.conditions ? { previous: this.lastStatus.conditions } : {}),
        now: new Date(this.clock.now()).toISOString(),
      });
    } catch (err) {
      this.log(`computing node status failed: ${describe(err)}`);
      return;
    }
    const due =
      this.statusWriteFailed ||
      significantlyDifferent(this.lastStatus, status) ||
      this.clock.now() - this.lastStatusAt >= (this.options.statusMaxAgeMs ?? 60_000);
    if (!due) return;
    try {
      this.node = await this.api.patch<Node>(
        NODES,
        this.options.nodeName,
        undefined,
        { status },
        'merge',
        'status',
      );
      this.lastStatus = status;
      this.lastStatusAt = this.clock.now();
      this.statusWriteFailed = false;
    } catch (err) {
      this.statusWriteFailed = true;
      this.log(`writing node status failed: ${describe(err)}`);
      if (isKubeApiError(err, 404)) {
        // The Node was deleted while the agent runs: register it again (as the kubelet does).
        this.lease = undefined;
        void this.register().catch(() => undefined);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopController.signal;
      if (signal.aborted) return resolve();
      const t = this.clock.setTimeout(done, ms);
      function done() {
        t.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
