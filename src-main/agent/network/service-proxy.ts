// The kube-proxy role: watches Services, EndpointSlices and (as a fallback) Endpoints, and keeps the
// node's iptables rules equal to what they ask for. Every change schedules one sync (changes that come
// together are coalesced); a sync rebuilds all our chains in one atomic iptables-restore. A periodic
// resync re-adds the jumps if someone (a Docker restart, an admin) removed them. Stopping the proxy
// leaves the rules in place so Services keep working while the agent restarts; uninstall() removes them.
import { findResourceByKind } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { createInformer } from '../../shared/kube/informer';
import type { InformerWithState } from '../../shared/kube/informer';
import type { KubeApi } from '../../shared/kube/types';
import type { Clock } from '../clock';
import { systemClock } from '../clock';
import { CoalescingSync } from './coalescing-sync';
import { enableHairpin, ensureJump, removeJump, setSysctl, systemIptables } from './iptables';
import type { Iptables } from './iptables';
import { buildProxyRules, chainsInSave, cleanupText, jumpRules, restoreText } from './rules';
import type { EndpointSlice, Endpoints, Service } from './types';

const SERVICES = findResourceByKind('v1', 'Service') as ResourceInfo;
const ENDPOINT_SLICES = findResourceByKind('discovery.k8s.io/v1', 'EndpointSlice') as ResourceInfo;
const ENDPOINTS = findResourceByKind('v1', 'Endpoints') as ResourceInfo;

export type ProxyHealth = { ready: true } | { ready: false; reason: string; message: string };

export interface ServiceProxyOptions {
  api: KubeApi;
  prefix: string;
  masqueradeBit: number;
  clusterCIDR: string;
  /** The pod bridge (hairpin mode on its ports). */
  bridgeName: string;
  iptables?: Iptables;
  clock?: Clock;
  /** Coalescing delay between a change and the sync it causes (default 50 ms). */
  syncDelayMs?: number;
  resyncIntervalMs?: number;
  /** Whether the process may change the firewall (default: running as root). */
  privileged?: boolean;
  onHealth?: (health: ProxyHealth) => void;
  log?: (message: string) => void;
}

export class ServiceProxy {
  private readonly ipt: Iptables;
  private readonly log: (message: string) => void;
  private readonly sync: CoalescingSync;
  private informers: InformerWithState<never>[] = [];
  private services?: InformerWithState<Service>;
  private slices?: InformerWithState<EndpointSlice>;
  private endpoints?: InformerWithState<Endpoints>;
  private lastApplied?: string;
  private resyncs = 0;
  private health_: ProxyHealth = { ready: false, reason: 'Starting', message: 'service proxy is starting' };
  /** Counts completed syncs (tests wait on it). */
  syncCount = 0;

  constructor(private readonly options: ServiceProxyOptions) {
    this.ipt = options.iptables ?? systemIptables;
    this.log = options.log ?? (() => undefined);
    this.sync = new CoalescingSync({
      clock: options.clock ?? systemClock,
      pass: () => this.syncOnce(),
      onError: (message) => {
        this.log(`syncing service rules failed: ${message}`);
        this.setHealth({
          ready: false,
          reason: 'SyncFailed',
          message: `installing service rules failed: ${message}`,
        });
        this.lastApplied = undefined;
      },
      // Re-checks the jumps and sets hairpin mode on new pod ports; every sixth time also re-applies
      // the chains in case they were changed behind our back.
      onResync: () => {
        if (++this.resyncs % 6 === 0) this.lastApplied = undefined;
      },
      delayMs: options.syncDelayMs,
      resyncIntervalMs: options.resyncIntervalMs,
    });
  }

  get health(): ProxyHealth {
    return this.health_;
  }

  /**
   * Checks that the firewall can be changed, prepares the kernel, and starts watching. Does not throw
   * when the node cannot run the proxy: health says why (the Node's ServiceProxyReady condition).
   */
  async start(): Promise<ProxyHealth> {
    const privileged = this.options.privileged ?? process.getuid?.() === 0;
    if (!privileged) {
      return this.setHealth({
        ready: false,
        reason: 'NotRoot',
        message:
          'the agent is not running as root, so it cannot install the iptables rules that make Services work on this node; run it as root or in a privileged container with host networking',
      });
    }
    try {
      const probe = await this.ipt.run(['-t', 'nat', '-S', 'POSTROUTING']);
      if (probe.code !== 0) throw new Error(probe.stderr.trim() || `iptables exited with ${probe.code}`);
    } catch (err) {
      return this.setHealth({
        ready: false,
        reason: 'IptablesUnavailable',
        message: `iptables cannot be used on this node: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    // Pods reach Services and each other through the host: forwarding on, bridged traffic seen by
    // iptables (so replies of DNATed connections between pods on one bridge are un-NATed).
    if (!(await setSysctl('net.ipv4.ip_forward', '1'))) this.log('cannot enable net.ipv4.ip_forward');
    await setSysctl('net.bridge.bridge-nf-call-iptables', '1');

    const onError = (message: string, err: unknown) =>
      this.log(`${message}: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
    this.services = createInformer<Service>(this.options.api, SERVICES, { onError });
    this.slices = createInformer<EndpointSlice>(this.options.api, ENDPOINT_SLICES, { onError });
    this.endpoints = createInformer<Endpoints>(this.options.api, ENDPOINTS, { onError });
    this.informers = [this.services, this.slices, this.endpoints] as InformerWithState<never>[];
    const changed = {
      onAdd: () => this.requestSync(),
      onUpdate: () => this.requestSync(),
      onDelete: () => this.requestSync(),
    };
    for (const inf of this.informers) inf.addHandlers(changed);
    await Promise.all(this.informers.map((i) => i.start()));
    await this.sync.start();
    return this.health_;
  }

  /** Stops watching; the rules stay (Services keep working until the agent is back). */
  stop(): void {
    this.sync.stop();
    for (const i of this.informers) i.stop();
  }

  /** Schedules a sync (coalescing bursts of changes). */
  requestSync(): void {
    this.sync.request();
  }

  /** Applies the rules now; resolves when they are in place (or the attempt failed). */
  syncNow(): Promise<void> {
    return this.sync.now();
  }

  /** One pass: all our chains rebuilt from the caches. Throws when it failed (the sync loop retries). */
  private async syncOnce(): Promise<void> {
    if (!this.services || !this.slices || !this.endpoints) return;
    const rules = buildProxyRules({
      prefix: this.options.prefix,
      masqueradeBit: this.options.masqueradeBit,
      clusterCIDR: this.options.clusterCIDR,
      services: this.services.lister.list(),
      slices: this.slices.lister.list(),
      endpoints: this.endpoints.lister.list(),
    });
    const existing = await this.existingChains();
    const text = restoreText(rules, existing);
    const complete = rules.nat.chains.every((c) => existing.nat.includes(c));
    if (text !== this.lastApplied || !complete) {
      await this.ipt.restore(text);
      this.lastApplied = text;
    }
    // Jumps after the chains exist (a jump to a missing chain is an error).
    for (const jump of jumpRules(this.options.prefix)) await ensureJump(this.ipt, jump);
    await enableHairpin(this.options.bridgeName);
    this.syncCount++;
    if (!this.health_.ready) this.setHealth({ ready: true });
  }

  /** Our chains as they are now in the nat and filter tables. */
  private async existingChains(): Promise<{ nat: string[]; filter: string[] }> {
    const [natSave, filterSave] = await Promise.all([this.ipt.save('nat'), this.ipt.save('filter')]);
    return {
      nat: chainsInSave(natSave, this.options.prefix),
      filter: chainsInSave(filterSave, this.options.prefix),
    };
  }

  private setHealth(health: ProxyHealth): ProxyHealth {
    const changed = JSON.stringify(health) !== JSON.stringify(this.health_);
    this.health_ = health;
    if (changed) this.options.onHealth?.(health);
    return health;
  }

  /** Removes the jumps and every chain of ours (node removal). Works without start(). */
  async uninstall(): Promise<void> {
    this.stop();
    await this.sync.settled();
    for (const jump of jumpRules(this.options.prefix)) await removeJump(this.ipt, jump);
    const existing = await this.existingChains();
    if (existing.nat.length || existing.filter.length) await this.ipt.restore(cleanupText(existing));
  }
}
