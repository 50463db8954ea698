// Services and their endpoints → iptables rules, as text for `iptables-restore --noflush`. Pure: the
// proxier feeds it the informers' objects and the chains that exist, and applies what comes out.
//
// Chain layout (kube-proxy's iptables mode, under our own prefix P, default FLOTILLA):
//   nat    P-SERVICES     from PREROUTING and OUTPUT: one rule per ClusterIP:port → P-SVC-<hash>;
//                         last, node-local destinations → P-NODEPORTS
//          P-NODEPORTS    NodePort → P-MARK-MASQ, then P-SVC-<hash>
//          P-SVC-<hash>   traffic from outside the cluster CIDR is marked for masquerade; then one
//                         jump per ready endpoint, spread with `-m statistic --mode random`
//          P-SEP-<hash>   masquerade hairpin traffic (the endpoint reaching itself), then DNAT
//          P-MARK-MASQ    sets the masquerade bit; P-POSTROUTING masquerades what carries it
//   filter P-SERVICES     REJECT for services without ready endpoints (from INPUT, FORWARD, OUTPUT)
//          P-FORWARD      ACCEPT pod traffic (the cluster CIDR) and marked traffic in FORWARD
// Every chain is declared in the restore text, which flushes it, so a sync replaces our chains as a
// whole in one atomic restore; chains of services that went away are deleted (-X) in the same one.
import { createHash } from 'node:crypto';
import type { EndpointSlice, Endpoints, Protocol, Service } from './types';
import { SERVICE_NAME_LABEL } from './types';

export interface ProxyRulesInput {
  prefix: string;
  /** The bit of the packet mark that means "masquerade this" (kube-proxy: 14 → 0x4000). */
  masqueradeBit: number;
  clusterCIDR: string;
  services: readonly Service[];
  slices: readonly EndpointSlice[];
  /** Only used for services that have no EndpointSlice at all. */
  endpoints: readonly Endpoints[];
}

export interface Endpoint {
  ip: string;
  port: number;
}

/** One port of one service, with where its traffic goes. */
export interface ServicePortPlan {
  /** `namespace/name:portName` (portName may be empty). */
  key: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  nodePort?: number;
  endpoints: Endpoint[];
}

export interface TableRules {
  /** Every chain of ours in this table, in the order declared. */
  chains: string[];
  rules: string[];
}

export interface ProxyRules {
  plans: ServicePortPlan[];
  nat: TableRules;
  filter: TableRules;
}

/** A rule outside our chains that sends traffic into them (added with -I, checked with -C). */
export interface JumpRule {
  table: 'nat' | 'filter';
  chain: string;
  args: string[];
}

export function chainNames(prefix: string) {
  return {
    services: `${prefix}-SERVICES`,
    nodePorts: `${prefix}-NODEPORTS`,
    postrouting: `${prefix}-POSTROUTING`,
    markMasq: `${prefix}-MARK-MASQ`,
    forward: `${prefix}-FORWARD`,
  };
}

/** The jumps from the built-in chains into ours. */
export function jumpRules(prefix: string): JumpRule[] {
  const c = chainNames(prefix);
  const comment = (text: string) => ['-m', 'comment', '--comment', text];
  const newConn = ['-m', 'conntrack', '--ctstate', 'NEW'];
  return [
    { table: 'nat', chain: 'PREROUTING', args: [...comment('flotilla service portals'), '-j', c.services] },
    { table: 'nat', chain: 'OUTPUT', args: [...comment('flotilla service portals'), '-j', c.services] },
    {
      table: 'nat',
      chain: 'POSTROUTING',
      args: [...comment('flotilla postrouting rules'), '-j', c.postrouting],
    },
    { table: 'filter', chain: 'FORWARD', args: [...comment('flotilla forwarding rules'), '-j', c.forward] },
    ...(['INPUT', 'FORWARD', 'OUTPUT'] as const).map((chain) => ({
      table: 'filter' as const,
      chain,
      args: [...newConn, ...comment('flotilla service portals'), '-j', c.services],
    })),
  ];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 12 base32 characters of SHA-256: short enough for the 28-character chain name limit. */
export function shortHash(text: string): string {
  const bytes = createHash('sha256').update(text).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 12) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 12) break;
  }
  return out;
}

function protoArgs(protocol: Protocol): string {
  const p = protocol.toLowerCase();
  return `-p ${p} -m ${p}`;
}

function comment(text: string): string {
  return `-m comment --comment "${text.replace(/["\\]/g, '')}"`;
}

/** Ready endpoint addresses and ports of a service port, from its EndpointSlices (or Endpoints). */
function endpointsFor(
  portName: string,
  protocol: Protocol,
  slices: readonly EndpointSlice[],
  hasSlices: boolean,
  endpoints: Endpoints | undefined,
): Endpoint[] {
  const found = new Map<string, Endpoint>();
  const add = (ip: string, port: number) => found.set(`${ip}:${port}`, { ip, port });
  if (hasSlices) {
    for (const slice of slices) {
      if (slice.addressType && slice.addressType !== 'IPv4') continue;
      const port = (slice.ports ?? []).find(
        (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol,
      );
      if (!port?.port) continue;
      for (const ep of slice.endpoints ?? []) {
        // An unset `ready` means ready (EndpointSlice API contract).
        if (ep.conditions?.ready === false) continue;
        const ip = ep.addresses[0];
        if (ip) add(ip, port.port);
      }
    }
  } else if (endpoints) {
    for (const subset of endpoints.subsets ?? []) {
      const port = (subset.ports ?? []).find(
        (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol,
      );
      if (!port) continue;
      for (const a of subset.addresses ?? []) add(a.ip, port.port);
    }
  }
  return [...found.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

/** Every service port the proxy handles, with its ready endpoints. Headless and ExternalName are skipped. */
export function planServicePorts(
  input: Pick<ProxyRulesInput, 'services' | 'slices' | 'endpoints'>,
): ServicePortPlan[] {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of input.slices) {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${slice.metadata.namespace ?? ''}/${svc}`;
    const list = slicesByService.get(key) ?? [];
    list.push(slice);
    slicesByService.set(key, list);
  }
  const endpointsByService = new Map<string, Endpoints>();
  for (const e of input.endpoints)
    endpointsByService.set(`${e.metadata.namespace ?? ''}/${e.metadata.name ?? ''}`, e);

  const plans: ServicePortPlan[] = [];
  for (const service of input.services) {
    const spec = service.spec ?? {};
    const clusterIP = spec.clusterIPs?.[0] ?? spec.clusterIP;
    if (spec.type === 'ExternalName' || !clusterIP || clusterIP === 'None' || clusterIP.includes(':'))
      continue;
    const id = `${service.metadata.namespace ?? ''}/${service.metadata.name ?? ''}`;
    const slices = slicesByService.get(id) ?? [];
    for (const port of spec.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      const portName = port.name ?? '';
      const withNodePort = (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && port.nodePort;
      plans.push({
        key: `${id}:${portName}`,
        protocol,
        clusterIP,
        port: port.port,
        ...(withNodePort ? { nodePort: port.nodePort } : {}),
        endpoints: endpointsFor(portName, protocol, slices, slices.length > 0, endpointsByService.get(id)),
      });
    }
  }
  return plans.sort((a, b) =>
    a.key === b.key ? (a.protocol < b.protocol ? -1 : 1) : a.key < b.key ? -1 : 1,
  );
}

export function buildProxyRules(input: ProxyRulesInput): ProxyRules {
  const c = chainNames(input.prefix);
  const mark = `0x${((1 << input.masqueradeBit) >>> 0).toString(16)}`;
  const plans = planServicePorts(input);

  const nat: TableRules = { chains: [c.services, c.nodePorts, c.postrouting, c.markMasq], rules: [] };
  const filter: TableRules = { chains: [c.services, c.forward], rules: [] };

  nat.rules.push(
    `-A ${c.postrouting} -m mark ! --mark ${mark}/${mark} -j RETURN`,
    // Clear the bit so a packet that is re-routed through here is not masqueraded twice.
    `-A ${c.postrouting} -j MARK --xor-mark ${mark}`,
    `-A ${c.postrouting} ${comment('flotilla service traffic requiring SNAT')} -j MASQUERADE`,
    `-A ${c.markMasq} -j MARK --or-mark ${mark}`,
  );
  filter.rules.push(
    `-A ${c.forward} ${comment('flotilla forwarding rules')} -m mark --mark ${mark}/${mark} -j ACCEPT`,
    `-A ${c.forward} ${comment('flotilla pod traffic')} -s ${input.clusterCIDR} -j ACCEPT`,
    `-A ${c.forward} ${comment('flotilla pod traffic')} -d ${input.clusterCIDR} -j ACCEPT`,
  );

  const nodePortRules: string[] = [];
  for (const plan of plans) {
    const proto = protoArgs(plan.protocol);
    const label = `${plan.key} ${plan.protocol.toLowerCase()}`;
    const dest = `-d ${plan.clusterIP}/32 ${proto} --dport ${plan.port}`;
    if (plan.endpoints.length === 0) {
      filter.rules.push(
        `-A ${c.services} ${comment(`${label} has no endpoints`)} ${dest} -j REJECT --reject-with icmp-port-unreachable`,
      );
      if (plan.nodePort) {
        filter.rules.push(
          `-A ${c.services} ${comment(`${label} has no endpoints`)} -m addrtype --dst-type LOCAL ${proto} --dport ${plan.nodePort} -j REJECT --reject-with icmp-port-unreachable`,
        );
      }
      continue;
    }
    const svcChain = `${input.prefix}-SVC-${shortHash(`${plan.key}/${plan.protocol}`)}`;
    nat.chains.push(svcChain);
    nat.rules.push(`-A ${c.services} ${comment(`${label} cluster IP`)} ${dest} -j ${svcChain}`);
    nat.rules.push(
      `-A ${svcChain} ${comment(`${label} cluster IP`)} ! -s ${input.clusterCIDR} ${dest} -j ${c.markMasq}`,
    );
    if (plan.nodePort) {
      nodePortRules.push(
        `-A ${c.nodePorts} ${comment(label)} ${proto} --dport ${plan.nodePort} -j ${c.markMasq}`,
        `-A ${c.nodePorts} ${comment(label)} ${proto} --dport ${plan.nodePort} -j ${svcChain}`,
      );
    }
    const n = plan.endpoints.length;
    plan.endpoints.forEach((ep, i) => {
      const sepChain = `${input.prefix}-SEP-${shortHash(`${plan.key}/${plan.protocol}/${ep.ip}:${ep.port}`)}`;
      nat.chains.push(sepChain);
      const target = `${comment(`${label} -> ${ep.ip}:${ep.port}`)} -j ${sepChain}`;
      // Endpoint i of n is taken with probability 1/(n-i) among those left: uniform overall.
      nat.rules.push(
        i < n - 1
          ? `-A ${svcChain} -m statistic --mode random --probability ${(1 / (n - i)).toFixed(10)} ${target}`
          : `-A ${svcChain} ${target}`,
      );
      nat.rules.push(
        `-A ${sepChain} ${comment(label)} -s ${ep.ip}/32 -j ${c.markMasq}`,
        `-A ${sepChain} ${comment(label)} ${proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`,
      );
    });
  }
  nat.rules.push(...nodePortRules);
  // Last: anything addressed to this node (but not loopback, which cannot be DNATed off the host
  // without route_localnet) may be a NodePort.
  nat.rules.push(
    `-A ${c.services} ${comment('flotilla service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j ${c.nodePorts}`,
  );
  return { plans, nat, filter };
}

/** Chain names of ours found in `iptables-save` output of one table. */
export function chainsInSave(saveText: string, prefix: string): string[] {
  const out: string[] = [];
  for (const line of saveText.split('\n')) {
    const m = /^:(\S+) /.exec(line);
    if (m?.[1] && m[1].startsWith(`${prefix}-`)) out.push(m[1]);
  }
  return out;
}

function tableText(table: 'nat' | 'filter', rules: TableRules, existing: readonly string[]): string {
  const wanted = new Set(rules.chains);
  const stale = existing.filter((name) => !wanted.has(name));
  return [
    `*${table}`,
    ...rules.chains.map((name) => `:${name} - [0:0]`),
    // Declaring a stale chain flushes it, so it holds no references when it is deleted below.
    ...stale.map((name) => `:${name} - [0:0]`),
    ...rules.rules,
    ...stale.map((name) => `-X ${name}`),
    'COMMIT',
  ].join('\n');
}

/** The input of `iptables-restore --noflush`: both tables, stale chains of ours deleted. */
export function restoreText(
  rules: ProxyRules,
  existing: { nat: readonly string[]; filter: readonly string[] },
): string {
  return `${tableText('nat', rules.nat, existing.nat)}\n${tableText('filter', rules.filter, existing.filter)}\n`;
}

/** Flushes and deletes every chain of ours (after the jumps into them were removed). */
export function cleanupText(existing: { nat: readonly string[]; filter: readonly string[] }): string {
  const table = (name: string, chains: readonly string[]) =>
    [`*${name}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT'].join('\n');
  return `${table('nat', existing.nat)}\n${table('filter', existing.filter)}\n`;
}
