// The pool of per-node pod CIDRs carved out of the cluster CIDR (nodeipam/ipam/cidrset): a bitmap of
// subnets of `nodeMaskSize` bits. Allocation rotates from the last one handed out, so a released
// subnet is not immediately given to the next node (whose routes might still point at the old one).
// IPv4 only.

export class CidrError extends Error {
  constructor(
    readonly code: 'InvalidCIDR' | 'InvalidMaskSize' | 'OutOfRange',
    message: string,
  ) {
    super(message);
    this.name = 'CidrError';
  }
}

export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, bits] = cidr.split('/');
  const addr = ip === undefined ? undefined : parseIPv4(ip);
  const prefix = Number(bits);
  if (addr === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new CidrError('InvalidCIDR', `"${cidr}" is not an IPv4 CIDR`);
  }
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(addr / size) * size, prefix };
}

export interface CidrSet {
  readonly clusterCidr: string;
  readonly capacity: number;
  used(): number;
  /** Marks a subnet taken (one found on an existing node). False if it is not one of this set's subnets. */
  occupy(cidr: string): boolean;
  release(cidr: string): void;
  /** The next free subnet, marked taken; undefined when the range is full. */
  allocateNext(): string | undefined;
}

export function createCidrSet(clusterCidr: string, nodeMaskSize: number): CidrSet {
  const { base, prefix } = parseCidr(clusterCidr);
  if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < prefix || nodeMaskSize > 32) {
    throw new CidrError('InvalidMaskSize', `node mask size ${nodeMaskSize} does not fit in ${clusterCidr}`);
  }
  const capacity = 2 ** (nodeMaskSize - prefix);
  const step = 2 ** (32 - nodeMaskSize);
  const taken = new Uint8Array(capacity);
  let count = 0;
  let next = 0;

  const indexOf = (cidr: string): number | undefined => {
    let parsed;
    try {
      parsed = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (parsed.prefix !== nodeMaskSize) return undefined;
    const offset = parsed.base - base;
    if (offset < 0 || offset % step !== 0 || offset / step >= capacity) return undefined;
    return offset / step;
  };

  return {
    clusterCidr: `${formatIPv4(base)}/${prefix}`,
    capacity,
    used: () => count,
    occupy(cidr) {
      const i = indexOf(cidr);
      if (i === undefined) return false;
      if (!taken[i]) {
        taken[i] = 1;
        count++;
      }
      return true;
    },
    release(cidr) {
      const i = indexOf(cidr);
      if (i === undefined || !taken[i]) return;
      taken[i] = 0;
      count--;
    },
    allocateNext() {
      if (count >= capacity) return undefined;
      for (let k = 0; k < capacity; k++) {
        const i = (next + k) % capacity;
        if (taken[i]) continue;
        taken[i] = 1;
        count++;
        next = (i + 1) % capacity;
        return `${formatIPv4(base + i * step)}/${nodeMaskSize}`;
      }
      return undefined;
    },
  };
}
