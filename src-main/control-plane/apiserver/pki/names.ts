// Subject alternative names: which host names and IPs a serving certificate must cover.
import net from 'node:net';
import os from 'node:os';

export interface SanSet {
  dnsNames: string[];
  ips: string[];
}

/** Wildcard listen addresses mean "all interfaces"; they are never what a client dials. */
const UNSPECIFIED = new Set(['0.0.0.0', '::']);

/** One canonical text per address, so `::1`, `0:0:0:0:0:0:0:1` and `[::1]` compare equal. */
export function canonicalIp(ip: string): string | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = net.isIP(bare);
  if (family === 4) return bare;
  if (family === 6) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return undefined;
}

/**
 * The names every serving certificate carries (loopback in all spellings and this machine's name)
 * plus the requested extra hosts, split into DNS names and IPs, de-duplicated and sorted.
 */
export function servingSans(hosts: readonly string[], hostname: string = os.hostname()): SanSet {
  const dns = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  for (const raw of [hostname, ...hosts]) {
    const host = raw.trim().toLowerCase();
    if (!host) continue;
    const ip = canonicalIp(host);
    if (ip) {
      if (!UNSPECIFIED.has(ip)) ips.add(ip);
    } else if (!UNSPECIFIED.has(host)) {
      dns.add(host.replace(/\.$/, ''));
    }
  }
  return { dnsNames: [...dns].sort(), ips: [...ips].sort() };
}

/** True when `have` lists every name in `want` (extra names in `have` are fine). */
export function sansCover(have: SanSet, want: SanSet): boolean {
  const dns = new Set(have.dnsNames.map((n) => n.toLowerCase()));
  const ips = new Set(have.ips.map((ip) => canonicalIp(ip) ?? ip));
  return want.dnsNames.every((n) => dns.has(n.toLowerCase())) && want.ips.every((ip) => ips.has(ip));
}
