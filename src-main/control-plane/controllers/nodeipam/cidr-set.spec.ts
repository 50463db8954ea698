import { describe, expect, it } from 'vitest';
import { CidrError, createCidrSet, formatIPv4, parseCidr, parseIPv4 } from './cidr-set';

describe('CIDR set', () => {
  it('carves /24s out of a /16 in order and knows when it is full', () => {
    const set = createCidrSet('10.244.0.0/16', 24);
    expect(set.capacity).toBe(256);
    expect(set.allocateNext()).toBe('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.1.0/24');
    const small = createCidrSet('10.250.0.0/23', 24);
    expect([small.allocateNext(), small.allocateNext(), small.allocateNext()]).toEqual([
      '10.250.0.0/24',
      '10.250.1.0/24',
      undefined,
    ]);
  });

  it('skips occupied subnets, ignores foreign ones, and does not hand a released one out at once', () => {
    const set = createCidrSet('10.244.0.0/22', 24);
    expect(set.occupy('10.244.1.0/24')).toBe(true);
    expect(set.occupy('10.99.0.0/24')).toBe(false);
    expect(set.occupy('10.244.2.0/25')).toBe(false);
    expect(set.allocateNext()).toBe('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.2.0/24');
    set.release('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.3.0/24');
    expect(set.allocateNext()).toBe('10.244.0.0/24');
    expect(set.used()).toBe(4);
    expect(set.allocateNext()).toBeUndefined();
  });

  it('normalizes and rejects bad input with typed errors', () => {
    expect(parseCidr('10.244.7.9/16')).toEqual({ base: parseIPv4('10.244.0.0'), prefix: 16 });
    expect(formatIPv4(parseIPv4('192.168.1.254') ?? 0)).toBe('192.168.1.254');
    expect(() => createCidrSet('10.244.0.0/33', 24)).toThrow(CidrError);
    expect(() => createCidrSet('fd00::/64', 80)).toThrow(/not an IPv4 CIDR/);
    try {
      createCidrSet('10.244.0.0/24', 16);
    } catch (err) {
      expect((err as CidrError).code).toBe('InvalidMaskSize');
    }
  });
});
