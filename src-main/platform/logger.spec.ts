import { describe, expect, it } from 'vitest';
import { createLogger, formatLine } from './logger';

const at = new Date('2030-05-06T07:08:09.010Z');

describe('createLogger', () => {
  it('writes `time level component: message` lines and drops levels below the threshold', () => {
    const lines: string[] = [];
    const log = createLogger({
      component: 'apiserver',
      level: 'info',
      write: (l) => lines.push(l),
      now: () => at,
    });
    log.debug('hidden');
    log.info('listening', { url: 'https://127.0.0.1:6443' });
    log.warn('slow request', { ms: 1200, path: '/api/v1/pods?watch=1' });
    log.error('failed', { error: new Error('boom'), skipped: undefined });
    expect(lines).toEqual([
      '2030-05-06T07:08:09.010Z INFO  apiserver: listening url=https://127.0.0.1:6443',
      '2030-05-06T07:08:09.010Z WARN  apiserver: slow request ms=1200 path="/api/v1/pods?watch=1"',
      '2030-05-06T07:08:09.010Z ERROR apiserver: failed error="boom"',
    ]);
  });

  it('child loggers share sink and level under their own component name', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l), now: () => at });
    const child = log.child('scheduler');
    child.info('hidden');
    child.warn('no node fits', { pod: 'default/web-1' });
    expect(lines).toEqual(['2030-05-06T07:08:09.010Z WARN  scheduler: no node fits pod=default/web-1']);
  });

  it('formats objects as JSON', () => {
    expect(formatLine(at, 'debug', 'c', 'm', { obj: { a: 1 }, ok: true, n: null })).toBe(
      '2030-05-06T07:08:09.010Z DEBUG c: m obj={"a":1} ok=true n=null',
    );
  });
});
