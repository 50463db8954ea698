// Parsers for option values. Each throws commander's InvalidArgumentError, which commander turns into
// `error: option '--port <number>' argument 'x' is invalid. …` and exit code 1.
import { InvalidArgumentError } from 'commander';
import net from 'node:net';
import type { LogLevel } from '../platform/logger';
import { isLogLevel, LOG_LEVELS } from '../platform/logger';

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError('The port must be a whole number from 0 to 65535.');
  const port = Number(value);
  if (port > 65535) throw new InvalidArgumentError('The port must be a whole number from 0 to 65535.');
  return port;
}

/** An IP address or a host name (what `listen()` accepts); brackets around IPv6 are removed. */
export function parseHost(value: string): string {
  const host = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (net.isIP(host)) return host;
  // RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
  if (
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(
      host,
    )
  ) {
    return host;
  }
  throw new InvalidArgumentError('Expected an IP address (127.0.0.1, ::1, 0.0.0.0) or a host name.');
}

/** `SCHEME://…`: the store driver is chosen by the scheme (sqlite://PATH, memory://, etcd://HOST:PORT). */
export function parseStoreUrl(value: string): string {
  // memory:// has nothing after the scheme: a throwaway store for experiments and benchmarks.
  if (!/^[a-z][a-z0-9+.-]*:\/\/./i.test(value) && value !== 'memory://') {
    throw new InvalidArgumentError(
      'Expected a store URL such as sqlite:///path/state.db, memory:// (not durable) or etcd://127.0.0.1:2379.',
    );
  }
  return value;
}

export function parseLogLevel(value: string): LogLevel {
  if (!isLogLevel(value)) throw new InvalidArgumentError(`Expected one of ${LOG_LEVELS.join(', ')}.`);
  return value;
}

/** A whole number of seconds from 1 to a day (node timings). */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 86_400) {
    throw new InvalidArgumentError('Expected a whole number of seconds from 1 to 86400.');
  }
  return n;
}
