import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseHost, parseLogLevel, parsePort, parseSeconds, parseStoreUrl } from './options';

describe('option parsers', () => {
  it('accepts ports 0–65535 only', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('6443')).toBe(6443);
    expect(parsePort('65535')).toBe(65535);
    for (const bad of ['65536', '-1', 'abc', '1.5', '', '0x10'])
      expect(() => parsePort(bad), bad).toThrow(InvalidArgumentError);
  });

  it('accepts IPs and host names', () => {
    expect(parseHost('127.0.0.1')).toBe('127.0.0.1');
    expect(parseHost('[::1]')).toBe('::1');
    expect(parseHost('0.0.0.0')).toBe('0.0.0.0');
    expect(parseHost('my-box.local')).toBe('my-box.local');
    for (const bad of ['bad host', 'a_b', '-x', 'http://x'])
      expect(() => parseHost(bad), bad).toThrow(InvalidArgumentError);
  });

  it('accepts store URLs with a scheme', () => {
    expect(parseStoreUrl('sqlite:///tmp/x.db')).toBe('sqlite:///tmp/x.db');
    expect(parseStoreUrl('etcd://127.0.0.1:2379')).toBe('etcd://127.0.0.1:2379');
    expect(() => parseStoreUrl('/tmp/x.db')).toThrow(InvalidArgumentError);
  });

  it('accepts the four log levels', () => {
    expect(parseLogLevel('debug')).toBe('debug');
    expect(() => parseLogLevel('loud')).toThrow(/debug, info, warn, error/);
  });

  it('takes whole seconds from 1 to a day', () => {
    expect(parseSeconds('30')).toBe(30);
    for (const bad of ['0', '-1', '1.5', 'abc', '', '86401'])
      expect(() => parseSeconds(bad), bad).toThrow(InvalidArgumentError);
  });
});
