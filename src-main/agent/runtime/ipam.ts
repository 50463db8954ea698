// Pod IP allocation inside the node's pod CIDR. Stateless across restarts: the addresses in use are
// read from the pod network each time; only the round-robin cursor (so a freed IP is not handed out
// again at once, while endpoints may still point at it) lives in memory.
import { RuntimeError } from './types';

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
  size: number;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new RuntimeError('NetworkConflict', `not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    const octet = Number(p);
    if (!/^\d{1,3}$/.test(p) || octet > 255)
      throw new RuntimeError('NetworkConflict', `not an IPv4 address: ${ip}`);
    n = n * 256 + octet;
  }
  return n;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): Ipv4Cidr {
  const [ip, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (!ip || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new RuntimeError(
      'NetworkConflict',
      `pod CIDR must be an IPv4 CIDR with a prefix of /8 to /30, got "${cidr}"`,
    );
  }
  const size = 2 ** (32 - prefix);
  const network = ipToNumber(ip) - (ipToNumber(ip) % size);
  return { network, prefix, size };
}

export function cidrContains(cidr: Ipv4Cidr, ip: string): boolean {
  const n = ipToNumber(ip);
  return n >= cidr.network && n < cidr.network + cidr.size;
}

/** The bridge's own address: the first host address, as Docker and most CNI plugins use. */
export function gatewayOf(cidr: Ipv4Cidr): string {
  return numberToIp(cidr.network + 1);
}

export class IpAllocator {
  private cursor: number;
  private readonly reserved = new Set<string>();

  constructor(private readonly cidr: Ipv4Cidr) {
    this.cursor = cidr.network + 1; // next candidate is .2: .1 is the gateway
  }

  /**
   * Picks a free address (not the network, gateway or broadcast address, not in `used`, not reserved)
   * after the last one handed out, and reserves it until release() — so that concurrent sandbox
   * creations, which read `used` before either container exists, do not pick the same one.
   */
  allocate(used: Iterable<string>): string {
    const taken = new Set(used);
    const first = this.cidr.network + 2;
    const last = this.cidr.network + this.cidr.size - 2;
    const count = last - first + 1;
    for (let i = 1; i <= count; i++) {
      const candidate = first + ((this.cursor - first + i) % count);
      const ip = numberToIp(candidate);
      if (!taken.has(ip) && !this.reserved.has(ip)) {
        this.cursor = candidate;
        this.reserved.add(ip);
        return ip;
      }
    }
    throw new RuntimeError(
      'NoFreeIP',
      `no free IP left in pod CIDR ${numberToIp(this.cidr.network)}/${this.cidr.prefix}`,
    );
  }

  release(ip: string): void {
    this.reserved.delete(ip);
  }
}
