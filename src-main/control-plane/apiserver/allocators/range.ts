// A range of values (service IPs, node ports) handed out exactly once. Each allocated value is a key
// in the store, created with create-if-absent, so two concurrent allocations can never get the same
// value — not across requests, not across restarts. A repair pass (repair.ts) frees reservations
// whose owner never got stored (a crash between the two writes) and re-reserves what services hold.
import { randomInt } from 'node:crypto';
import { isStoreError } from '../../store/types';
import type { Store } from '../../store/types';

export interface RangeOwner {
  namespace: string;
  name: string;
  /** When the reservation was made (repair leaves young reservations alone: their owner may be in flight). */
  at: string;
}

export interface ValueRange<T extends string | number> {
  /** How many values the range holds. */
  size: number;
  valueAt(offset: number): T;
  offsetOf(value: T): number | undefined;
  describe(): string;
}

export class RangeFullError extends Error {
  readonly code = 'RangeFull';
}

export class ValueTakenError extends Error {
  readonly code = 'ValueTaken';
}

export class OutOfRangeError extends Error {
  readonly code = 'OutOfRange';
}

export class RangeAllocator<T extends string | number> {
  constructor(
    private readonly store: Store,
    /** Store prefix of the reservations, under /registry/ so the API server's cache sees every write. */
    readonly prefix: string,
    readonly range: ValueRange<T>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  key(value: T): string {
    return `${this.prefix}${String(value)}`;
  }

  /** Reserves a specific value. */
  async reserve(value: T, owner: Omit<RangeOwner, 'at'>): Promise<void> {
    if (this.range.offsetOf(value) === undefined) {
      throw new OutOfRangeError(`${String(value)} is not in the range ${this.range.describe()}`);
    }
    try {
      await this.store.create(this.key(value), JSON.stringify({ ...owner, at: this.clock().toISOString() }));
    } catch (err) {
      if (isStoreError(err, 'KeyExists')) throw new ValueTakenError(`${String(value)} is already allocated`);
      throw err;
    }
  }

  /** Reserves any free value: a random start, then the next free one (as Kubernetes' allocator does). */
  async allocate(owner: Omit<RangeOwner, 'at'>): Promise<T> {
    const { size } = this.range;
    const start = randomInt(size);
    for (let i = 0; i < size; i++) {
      const value = this.range.valueAt((start + i) % size);
      try {
        await this.reserve(value, owner);
        return value;
      } catch (err) {
        if (!(err instanceof ValueTakenError)) throw err;
      }
    }
    throw new RangeFullError(`range ${this.range.describe()} is full`);
  }

  async release(value: T): Promise<void> {
    try {
      await this.store.delete(this.key(value));
    } catch (err) {
      if (!isStoreError(err, 'NotFound')) throw err;
    }
  }

  /** Every reservation: value → owner. */
  async reservations(): Promise<Map<string, RangeOwner>> {
    const { kvs } = await this.store.list(this.prefix);
    return new Map(kvs.map((kv) => [kv.key.slice(this.prefix.length), JSON.parse(kv.value) as RangeOwner]));
  }
}

/** IPv4 addresses of a CIDR, without the network and broadcast addresses and the first host (kept for the API server's own Service). */
export function ipv4Range(cidr: string): ValueRange<string> {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
  const bits = Number(match[5]);
  const octets = match.slice(1, 5).map(Number);
  if (bits < 8 || bits > 30 || octets.some((o) => o > 255)) throw new Error(`unsupported CIDR "${cidr}"`);
  const base = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const total = 2 ** (32 - bits);
  const network = (base & ~(total - 1)) >>> 0;
  const first = network + 2; // skip the network address and the first host
  const size = total - 3; // …and the broadcast address
  const toIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  return {
    size,
    valueAt: (offset) => toIp(first + offset),
    offsetOf(ip) {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
      if (!m) return undefined;
      const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
      const offset = n - first;
      return offset >= 0 && offset < size ? offset : undefined;
    },
    describe: () => cidr,
  };
}

export function portRange(min: number, max: number): ValueRange<number> {
  return {
    size: max - min + 1,
    valueAt: (offset) => min + offset,
    offsetOf: (port) => (Number.isInteger(port) && port >= min && port <= max ? port - min : undefined),
    describe: () => `${min}-${max}`,
  };
}
