// Cross-node pod routing (host-gw): every other node's pod CIDR is routed via that node's InternalIP,
// so pods reach pods on any node by pod IP, and Services (DNAT to a pod IP) reach endpoints anywhere.
//
// host-gw needs the peer on a directly connected network (`ip route get PEER` has no `via`) and this
// node's own address to be the one we reach it from (the route's `src`): only then does the peer
// reach us directly too and choose host-gw as well. A machine whose node address is on another
// network (a laptop whose default-route address is not on the VMs' bridge) would otherwise route
// host-gw one way while its peers, for whom it is behind a router, use the overlay. A peer
// behind a router is reached over a VXLAN overlay instead (flannel's vxlan backend, simplified): one
// VXLAN device per node, addressed with the network address of its pod CIDR; per overlay peer a
// permanent neighbour entry (peer's VTEP address → peer's VTEP MAC), an FDB entry (that MAC → the
// peer's InternalIP) and an `onlink` route of the peer's pod CIDR via its VTEP address. The VTEP MAC
// is derived from the node's InternalIP, so no node needs to publish it. Our routes carry their own
// routing protocol number, so they are found again after a restart and removed when their node
// leaves (or on teardown) without touching anyone else's routes.
//
// Forwarding of the cluster CIDR is the service proxy's P-FORWARD chain (reused, not duplicated);
// this module adds the one NAT rule host-gw needs: pod→pod traffic is exempt from masquerading
// (Docker masquerades everything leaving its bridge subnet), placed before any MASQUERADE rule in
// POSTROUTING. The exemption skips packets carrying the proxy's masquerade mark, so a pod that
// reaches itself through a Service is still masqueraded (hairpin).
import { execFile } from 'node:child_process';
import { findResourceByKind } from '../../shared/resources';
import type { ResourceInfo } from '../../shared/resources';
import { createInformer } from '../../shared/kube/informer';
import type { InformerWithState } from '../../shared/kube/informer';
import type { KubeApi } from '../../shared/kube/types';
import type { Clock } from '../clock';
import { systemClock } from '../clock';
import type { Node } from '../node/types';
import { CoalescingSync } from './coalescing-sync';
import { systemIptables } from './iptables';
import type { Iptables } from './iptables';

const NODES = findResourceByKind('v1', 'Node') as ResourceInfo;

/** The routing protocol number our routes carry (`ip route … proto 77`): ours, and only ours. */
export const ROUTE_PROTOCOL = 77;

/** The overlay for peers that are not directly connected (VNI and port as flannel's vxlan backend uses by default). */
export const VXLAN = { device: 'flotilla-vxlan', vni: 7, port: 4789, overhead: 50 } as const;

export interface DesiredRoute {
  node: string;
  /** The other node's pod CIDR. */
  cidr: string;
  /** host-gw: its InternalIP; overlay: its VTEP address. */
  via: string;
  /** Overlay routes only: the VXLAN device (the route is `onlink`). */
  dev?: string;
  /** Overlay routes only: the peer's InternalIP (the VXLAN packets' destination). */
  nodeIP?: string;
}

export interface InstalledRoute {
  cidr: string;
  via?: string;
  dev?: string;
}

export interface RouteCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ip ARGS` (or `bridge ARGS`); resolves with the exit code (never rejects for a non-zero exit). */
export type IpCommand = (args: string[], tool?: 'ip' | 'bridge') => Promise<RouteCommandResult>;

export type RouteErrorCode = 'IpMissing' | 'RouteFailed';

export class RouteError extends Error {
  constructor(
    readonly code: RouteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

export const systemIp: IpCommand = (args, tool = 'ip') =>
  new Promise((resolve, reject) => {
    execFile(tool, args, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(new RouteError('IpMissing', `the \`${tool}\` command (iproute2) is not installed`));
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });

// ---------------------------------------------------------------------------------- pure parts

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** [first, last] addresses of an IPv4 CIDR, or undefined when it is not one. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const [ip, bitsText] = cidr.split('/');
  const base = ip ? ipv4ToInt(ip) : undefined;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  const first = Math.floor(base / size) * size;
  return [first, first + size - 1];
}

/** Whether `inner` lies inside `outer` (both IPv4 CIDRs). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = cidrRange(outer);
  const i = cidrRange(inner);
  return !!o && !!i && o[0] <= i[0] && i[1] <= o[1];
}

function overlaps(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return !!x && !!y && x[0] <= y[1] && y[0] <= x[1];
}

export interface SkippedNode {
  node: string;
  reason: 'NoPodCIDR' | 'NoInternalIP' | 'OutsideClusterCIDR' | 'OverlapsOwnPodCIDR';
  message: string;
}

/**
 * The routes this node wants: one per other node that has a pod CIDR (inside the cluster CIDR, not
 * overlapping ours) and an InternalIP. Sorted by CIDR; nodes left out come with the reason.
 */
export function desiredRoutes(
  nodes: readonly Node[],
  self: { nodeName: string; clusterCIDR: string; ownPodCIDR?: string },
): { routes: DesiredRoute[]; skipped: SkippedNode[] } {
  const routes: DesiredRoute[] = [];
  const skipped: SkippedNode[] = [];
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    if (!name || name === self.nodeName) continue;
    const cidr = node.spec?.podCIDRs?.find((c) => !c.includes(':')) ?? node.spec?.podCIDR;
    const via = node.status?.addresses?.find(
      (a) => a.type === 'InternalIP' && !a.address.includes(':'),
    )?.address;
    if (!cidr) {
      skipped.push({ node: name, reason: 'NoPodCIDR', message: `node ${name} has no pod CIDR yet` });
      continue;
    }
    if (!via) {
      skipped.push({
        node: name,
        reason: 'NoInternalIP',
        message: `node ${name} reports no IPv4 InternalIP`,
      });
      continue;
    }
    if (!cidrContains(self.clusterCIDR, cidr)) {
      skipped.push({
        node: name,
        reason: 'OutsideClusterCIDR',
        message: `node ${name}'s pod CIDR ${cidr} is outside the cluster CIDR ${self.clusterCIDR}`,
      });
      continue;
    }
    if (self.ownPodCIDR && overlaps(self.ownPodCIDR, cidr)) {
      skipped.push({
        node: name,
        reason: 'OverlapsOwnPodCIDR',
        message: `node ${name}'s pod CIDR ${cidr} overlaps this node's ${self.ownPodCIDR}`,
      });
      continue;
    }
    routes.push({ node: name, cidr, via });
  }
  routes.sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0));
  return { routes, skipped };
}

/** Parses `ip -4 route show proto N` (one route a line: `10.244.1.0/24 via 10.77.0.3 dev eth0 …`). */
export function parseRoutes(text: string): InstalledRoute[] {
  const out: InstalledRoute[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const dest = words[0];
    if (!dest) continue;
    const cidr = dest.includes('/') ? dest : `${dest}/32`;
    const after = (w: string) => {
      const i = words.indexOf(w);
      return i >= 0 ? words[i + 1] : undefined;
    };
    const via = after('via');
    const dev = after('dev');
    out.push({ cidr, ...(via ? { via } : {}), ...(dev ? { dev } : {}) });
  }
  return out;
}

/** The VTEP MAC of a node: locally administered, the InternalIP's four bytes (0e:fa:a.b.c.d in hex). */
export function vtepMac(nodeIP: string): string {
  const bytes = nodeIP.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
  return ['0e', 'fa', ...bytes].join(':');
}

/** A node's VTEP address: the network address of its pod CIDR (as flannel does). */
export function vtepAddress(podCIDR: string): string {
  const range = cidrRange(podCIDR);
  if (!range) throw new RouteError('RouteFailed', `"${podCIDR}" is not an IPv4 CIDR`);
  const n = range[0];
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** `bridge fdb show dev VXLAN` → the unicast entries with a remote: MAC → destination. */
export function parseFdb(text: string): { mac: string; dst: string }[] {
  const out: { mac: string; dst: string }[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const at = words.indexOf('dst');
    const mac = words[0];
    const dst = at >= 0 ? words[at + 1] : undefined;
    if (mac && dst && mac !== '00:00:00:00:00:00') out.push({ mac, dst });
  }
  return out;
}

/** `ip neigh show dev VXLAN` → IP → MAC. */
export function parseNeighbours(text: string): { ip: string; mac?: string }[] {
  const out: { ip: string; mac?: string }[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (!words[0]) continue;
    const at = words.indexOf('lladdr');
    const mac = at >= 0 ? words[at + 1] : undefined;
    out.push({ ip: words[0], ...(mac ? { mac } : {}) });
  }
  return out;
}

/** Whether `ip -d link show VXLAN` shows the device as we would create it. */
export function vxlanMatches(detail: string, nodeIP: string, underlay: string): boolean {
  return (
    detail.includes(`vxlan id ${VXLAN.vni} `) &&
    detail.includes(`local ${nodeIP} `) &&
    detail.includes(`dev ${underlay} `) &&
    detail.includes(`dstport ${VXLAN.port} `) &&
    detail.includes(`link/ether ${vtepMac(nodeIP)} `)
  );
}

/** From `ip -4 route get IP`: whether the IP is on a directly connected network, and through which device. */
export function parseRouteGet(text: string): { direct: boolean; dev?: string; via?: string; src?: string } {
  const words = text.trim().split(/\s+/);
  const after = (w: string) => {
    const i = words.indexOf(w);
    return i >= 0 ? words[i + 1] : undefined;
  };
  const via = after('via');
  const dev = after('dev');
  const src = after('src');
  return { direct: !via, ...(dev ? { dev } : {}), ...(via ? { via } : {}), ...(src ? { src } : {}) };
}

/** What to change: routes to (re)place and installed routes of ours to delete. */
export function planRoutes(
  desired: readonly DesiredRoute[],
  installed: readonly InstalledRoute[],
  clusterCIDR: string,
): { replace: DesiredRoute[]; remove: InstalledRoute[] } {
  const have = new Map(installed.map((r) => [r.cidr, r]));
  const want = new Set(desired.map((r) => r.cidr));
  const same = (r: DesiredRoute, h: InstalledRoute | undefined) =>
    !!h && h.via === r.via && (r.dev !== undefined ? h.dev === r.dev : h.dev !== VXLAN.device);
  return {
    replace: desired.filter((r) => !same(r, have.get(r.cidr))),
    // Only routes inside the cluster CIDR: the protocol number is ours, but be conservative anyway.
    remove: installed.filter((r) => !want.has(r.cidr) && cidrContains(clusterCIDR, r.cidr)),
  };
}

/** The NAT exemption's arguments (after `-t nat … POSTROUTING`). */
export function natExemptionArgs(clusterCIDR: string, masqueradeBit: number): string[] {
  const mark = `0x${((1 << masqueradeBit) >>> 0).toString(16)}`;
  return [
    '-s',
    clusterCIDR,
    '-d',
    clusterCIDR,
    '-m',
    'mark',
    '!',
    '--mark',
    `${mark}/${mark}`,
    '-m',
    'comment',
    '--comment',
    'flotilla pod-to-pod traffic keeps pod IPs',
    '-j',
    'RETURN',
  ];
}

/**
 * Whether the exemption is in place in `iptables -t nat -S POSTROUTING` output: present exactly once
 * and above every MASQUERADE rule (Docker's for the pod bridge included).
 */
export function natExemptionInPlace(listing: string, clusterCIDR: string): boolean {
  const rules = listing.split('\n').filter((l) => l.startsWith('-A POSTROUTING'));
  const isOurs = (l: string) =>
    l.includes(`-s ${clusterCIDR} -d ${clusterCIDR}`) && l.includes('pod-to-pod traffic keeps pod IPs');
  const ours = rules.map((l, i) => (isOurs(l) ? i : -1)).filter((i) => i >= 0);
  if (ours.length !== 1) return false;
  const firstMasq = rules.findIndex((l) => / -j MASQUERADE\b/.test(l));
  return firstMasq < 0 || (ours[0] as number) < firstMasq;
}

// ---------------------------------------------------------------------------------- the controller

export type RoutesHealth = { ready: true } | { ready: false; reason: string; message: string };

export interface PodRoutesOptions {
  api: KubeApi;
  nodeName: string;
  clusterCIDR: string;
  /** This node's pod CIDR (never routed elsewhere). */
  podCIDR: string;
  /** This node's InternalIP (the overlay's local address); without it, no overlay. */
  nodeIP?: string;
  masqueradeBit: number;
  ip?: IpCommand;
  iptables?: Iptables;
  clock?: Clock;
  syncDelayMs?: number;
  /** Periodic re-check (routes or the exemption removed behind our back); default 10 s. */
  resyncIntervalMs?: number;
  /** A node whose pods this node cannot route to (neither host-gw nor the overlay). */
  onUnreachable?: (node: string, message: string) => void;
  log?: (message: string) => void;
}

export class PodRoutes {
  private readonly ip: IpCommand;
  private readonly ipt: Iptables;
  private readonly log: (message: string) => void;
  private readonly sync: CoalescingSync;
  private nodes?: InformerWithState<Node>;
  /** node → the message last reported, so a report is made once per change. */
  private readonly reported = new Map<string, string>();
  private health_: RoutesHealth = { ready: false, reason: 'Starting', message: 'pod routes are starting' };
  /** Completed syncs (tests wait on it). */
  syncCount = 0;
  /** The routes of the last successful sync. */
  routes: DesiredRoute[] = [];

  constructor(private readonly options: PodRoutesOptions) {
    this.ip = options.ip ?? systemIp;
    this.ipt = options.iptables ?? systemIptables;
    this.log = options.log ?? (() => undefined);
    this.sync = new CoalescingSync({
      clock: options.clock ?? systemClock,
      pass: () => this.syncOnce(),
      onError: (message) => {
        this.log(`syncing pod routes failed: ${message}`);
        this.health_ = { ready: false, reason: 'SyncFailed', message };
      },
      delayMs: options.syncDelayMs,
      resyncIntervalMs: options.resyncIntervalMs,
    });
  }

  get health(): RoutesHealth {
    return this.health_;
  }

  async start(): Promise<RoutesHealth> {
    this.nodes = createInformer<Node>(this.options.api, NODES, {
      onError: (m, err) =>
        this.log(`nodes: ${m}: ${err instanceof Error ? err.message : JSON.stringify(err)}`),
    });
    const changed = () => this.requestSync();
    this.nodes.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    await this.nodes.start();
    await this.sync.start();
    return this.health_;
  }

  /** Stops watching; routes and the exemption stay (pods keep talking while the agent restarts). */
  stop(): void {
    this.sync.stop();
    this.nodes?.stop();
  }

  requestSync(): void {
    this.sync.request();
  }

  syncNow(): Promise<void> {
    return this.sync.now();
  }

  /** One pass: every route of ours made what the Nodes ask for. Throws when it failed (the sync loop retries). */
  private async syncOnce(): Promise<void> {
    if (!this.nodes) return;
    const { routes, skipped } = desiredRoutes(this.nodes.lister.list(), {
      nodeName: this.options.nodeName,
      clusterCIDR: this.options.clusterCIDR,
      ownPodCIDR: this.options.podCIDR,
    });
    await this.ensureNatExemption();
    const wanted: DesiredRoute[] = [];
    const seen = new Set<string>();
    let underlay: string | undefined;
    for (const route of routes) {
      seen.add(route.node);
      const got = await this.ip(['-4', 'route', 'get', route.via]);
      const where = got.code === 0 ? parseRouteGet(got.stdout) : undefined;
      const nodeIP = this.options.nodeIP;
      const fromElsewhere = !!where?.direct && !!nodeIP && !!where.src && where.src !== nodeIP;
      if (where?.direct && !fromElsewhere) {
        wanted.push(route);
        this.noteMode(route.node, `node ${route.node}: pods ${route.cidr} via ${route.via} (host-gw)`);
        continue;
      }
      if (where && this.options.nodeIP && where.dev) {
        underlay = where.dev;
        wanted.push({
          node: route.node,
          cidr: route.cidr,
          via: vtepAddress(route.cidr),
          dev: VXLAN.device,
          nodeIP: route.via,
        });
        this.noteMode(
          route.node,
          fromElsewhere
            ? `node ${route.node} (${route.via}) is directly connected, but from ${where.src}, not this node's address ${nodeIP}, so it cannot reach us directly: pods ${route.cidr} over VXLAN`
            : `node ${route.node} (${route.via}) is not on a directly connected network (reached via ${where.via ?? '?'}): pods ${route.cidr} over VXLAN`,
        );
        continue;
      }
      const message = where
        ? `node ${route.node} (${route.via}) is not on a directly connected network and this node's own address is unknown, so no VXLAN overlay can be built: its pods (${route.cidr}) are unreachable from here`
        : `node ${route.node} (${route.via}) cannot be reached: ${got.stderr.trim()}`;
      if (this.noteMode(route.node, message)) this.options.onUnreachable?.(route.node, message);
    }
    for (const s of skipped) seen.add(s.node);
    for (const node of [...this.reported.keys()]) if (!seen.has(node)) this.reported.delete(node);

    const overlay = wanted.filter((r) => r.dev === VXLAN.device);
    if (underlay && overlay.length > 0) await this.ensureOverlay(underlay, overlay);

    const listed = await this.ip(['-4', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]);
    if (listed.code !== 0)
      throw new RouteError('RouteFailed', `ip route show failed: ${listed.stderr.trim()}`);
    const plan = planRoutes(wanted, parseRoutes(listed.stdout), this.options.clusterCIDR);
    for (const r of plan.replace) {
      const args = ['route', 'replace', r.cidr, 'via', r.via];
      if (r.dev) args.push('dev', r.dev, 'onlink');
      const res = await this.ip([...args, 'proto', String(ROUTE_PROTOCOL)]);
      if (res.code !== 0) throw new RouteError('RouteFailed', `ip ${args.join(' ')}: ${res.stderr.trim()}`);
      this.log(`route ${r.cidr} via ${r.via}${r.dev ? ` dev ${r.dev}` : ''} (node ${r.node})`);
    }
    for (const r of plan.remove) {
      await this.ip(['route', 'del', r.cidr, 'proto', String(ROUTE_PROTOCOL)]);
      this.log(`removed route ${r.cidr}${r.via ? ` via ${r.via}` : ''}`);
    }
    // No overlay peer left: the device goes (with its neighbour and FDB entries).
    if (overlay.length === 0) await removeVxlan(this.ip, this.log);
    this.routes = wanted;
    this.syncCount++;
    this.health_ = { ready: true };
  }

  /** Logs a node's routing mode once per change; true when it changed. */
  private noteMode(node: string, message: string): boolean {
    if (this.reported.get(node) === message) return false;
    this.reported.set(node, message);
    this.log(message);
    return true;
  }

  /** The VXLAN device, and exactly the neighbour and FDB entries of the overlay peers. */
  private async ensureOverlay(underlay: string, peers: readonly DesiredRoute[]): Promise<void> {
    const nodeIP = this.options.nodeIP as string;
    const dev = VXLAN.device;
    const must = async (args: string[], tool: 'ip' | 'bridge' = 'ip') => {
      const r = await this.ip(args, tool);
      if (r.code !== 0) throw new RouteError('RouteFailed', `${tool} ${args.join(' ')}: ${r.stderr.trim()}`);
      return r.stdout;
    };
    const detail = await this.ip(['-d', 'link', 'show', dev]);
    if (detail.code !== 0 || !vxlanMatches(detail.stdout, nodeIP, underlay)) {
      if (detail.code === 0) await this.ip(['link', 'del', dev]);
      const mtu = Number(/ mtu (\d+)/.exec(await must(['-o', 'link', 'show', underlay]))?.[1] ?? 1500);
      await must([
        'link',
        'add',
        dev,
        'type',
        'vxlan',
        'id',
        String(VXLAN.vni),
        'dstport',
        String(VXLAN.port),
        'local',
        nodeIP,
        'dev',
        underlay,
        'nolearning',
      ]);
      await must(['link', 'set', dev, 'address', vtepMac(nodeIP), 'mtu', String(mtu - VXLAN.overhead), 'up']);
      this.log(`VXLAN device ${dev} (VNI ${VXLAN.vni}, local ${nodeIP} on ${underlay}) created`);
    }
    await must(['link', 'set', dev, 'up']);
    await must(['addr', 'replace', `${vtepAddress(this.options.podCIDR)}/32`, 'dev', dev]);
    const macs = new Set<string>();
    const vteps = new Set<string>();
    for (const p of peers) {
      const mac = vtepMac(p.nodeIP as string);
      macs.add(mac);
      vteps.add(p.via);
      await must(['neigh', 'replace', p.via, 'lladdr', mac, 'dev', dev, 'nud', 'permanent']);
      await must(
        ['fdb', 'replace', mac, 'dev', dev, 'dst', p.nodeIP as string, 'self', 'permanent'],
        'bridge',
      );
    }
    for (const e of parseFdb(await must(['fdb', 'show', 'dev', dev], 'bridge')))
      if (!macs.has(e.mac)) await this.ip(['fdb', 'del', e.mac, 'dev', dev, 'dst', e.dst, 'self'], 'bridge');
    for (const n of parseNeighbours(await must(['neigh', 'show', 'dev', dev])))
      if (!vteps.has(n.ip)) await this.ip(['neigh', 'del', n.ip, 'dev', dev]);
  }

  private async ensureNatExemption(): Promise<void> {
    const save = await this.ipt.save('nat');
    if (natExemptionInPlace(save, this.options.clusterCIDR)) return;
    const args = natExemptionArgs(this.options.clusterCIDR, this.options.masqueradeBit);
    await removeNatExemption(this.ipt, this.options.clusterCIDR, this.options.masqueradeBit);
    const res = await this.ipt.run(['-t', 'nat', '-I', 'POSTROUTING', '1', ...args]);
    if (res.code !== 0)
      throw new RouteError('RouteFailed', `cannot add the pod-to-pod NAT exemption: ${res.stderr.trim()}`);
    this.log(`pod-to-pod NAT exemption for ${this.options.clusterCIDR} placed first in nat/POSTROUTING`);
  }
}

/** Deletes the VXLAN device if there is one (its routes, neighbours and FDB entries go with it). */
async function removeVxlan(ip: IpCommand, log: (m: string) => void): Promise<boolean> {
  if ((await ip(['link', 'show', VXLAN.device])).code !== 0) return false;
  const r = await ip(['link', 'del', VXLAN.device]);
  if (r.code === 0) log(`VXLAN device ${VXLAN.device} removed (no overlay peers)`);
  return r.code === 0;
}

async function removeNatExemption(ipt: Iptables, clusterCIDR: string, masqueradeBit: number): Promise<void> {
  const args = natExemptionArgs(clusterCIDR, masqueradeBit);
  for (let i = 0; i < 10; i++) {
    const r = await ipt.run(['-t', 'nat', '-D', 'POSTROUTING', ...args]);
    if (r.code !== 0) return;
  }
}

/** Node removal: deletes every route of ours inside the cluster CIDR and the NAT exemption. Idempotent. */
export async function removePodRoutes(options: {
  clusterCIDR: string;
  masqueradeBit: number;
  ip?: IpCommand;
  iptables?: Iptables;
}): Promise<number> {
  const ip = options.ip ?? systemIp;
  const listed = await ip(['-4', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]);
  let removed = 0;
  if (listed.code === 0) {
    for (const r of parseRoutes(listed.stdout)) {
      if (!cidrContains(options.clusterCIDR, r.cidr)) continue;
      if ((await ip(['route', 'del', r.cidr, 'proto', String(ROUTE_PROTOCOL)])).code === 0) removed++;
    }
  }
  await removeVxlan(ip, () => undefined);
  await removeNatExemption(options.iptables ?? systemIptables, options.clusterCIDR, options.masqueradeBit);
  return removed;
}
