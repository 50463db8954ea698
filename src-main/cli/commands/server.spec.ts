// The command's own logic (options → control plane, signals → clean stop, errors → messages) with a
// stand-in control plane; tests/cli.test.ts runs the real `flotilla server` end to end.
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlPlane, ControlPlaneOptions } from '../../control-plane/index';
import { createLogger } from '../../platform/logger';
import { CliError } from '../errors';
import type { ServerCommandOptions, ServerDeps } from './server';
import { describeStartError, nodeLifecycleSettings, runServer } from './server';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flotilla-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves when `check` returns true, polling; fails after the deadline instead of hanging. */
async function until(check: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function harness(start?: (o: ControlPlaneOptions) => Promise<ControlPlane>) {
  const signals = new EventEmitter();
  const out: string[] = [];
  const logs: string[] = [];
  const exits: number[] = [];
  const started: ControlPlaneOptions[] = [];
  let stops = 0;
  let releaseStop: (() => void) | undefined;
  const state = { holdStop: false };
  const cp: ControlPlane = {
    url: 'https://127.0.0.1:7443',
    kubeconfigPath: path.join(dir, 'kubeconfig'),
    stop: () => {
      stops++;
      return state.holdStop ? new Promise<void>((r) => (releaseStop = r)) : Promise.resolve();
    },
  } as ControlPlane;
  const deps: ServerDeps = {
    startControlPlane: async (o) => {
      started.push(o);
      return start ? start(o) : cp;
    },
    createLog: (level) => createLogger({ level, write: (l) => logs.push(l) }),
    stdout: (t) => out.push(t),
    signals: signals as unknown as ServerDeps['signals'],
    exit: (code) => exits.push(code),
    uiDistDir: () => path.join(dir, 'ui'),
    startNodeWatchdog: async () => ({ stop: () => undefined }),
  };
  return {
    deps,
    signals,
    out,
    logs,
    exits,
    started,
    cp,
    state,
    stops: () => stops,
    releaseStop: () => releaseStop?.(),
  };
}

const options = (extra: Partial<ServerCommandOptions> = {}): ServerCommandOptions => ({
  dataDir: path.join(dir, 'data'),
  port: 7443,
  host: '127.0.0.1',
  ui: false,
  disable: [],
  logLevel: 'info',
  nodeTimings: 'desktop',
  ...extra,
});

describe('runServer', () => {
  it('creates the data dir, starts the control plane with the options, prints the kubeconfig and stops on SIGTERM', async () => {
    const h = harness();
    const running = runServer(options(), h.deps);
    await until(() => h.out.length > 0, 'the ready message');
    expect(h.started).toHaveLength(1);
    expect(h.started[0]).toMatchObject({
      dataDir: path.join(dir, 'data'),
      host: '127.0.0.1',
      port: 7443,
      storeUrl: `sqlite://${path.join(dir, 'data', 'state.db')}`,
    });
    expect((await stat(path.join(dir, 'data'))).mode & 0o777).toBe(0o700);
    expect(h.out.join('')).toContain('listening on https://127.0.0.1:7443');
    expect(h.out.join('')).toContain(`export KUBECONFIG=${path.join(dir, 'kubeconfig')}`);
    expect(h.signals.listenerCount('SIGTERM')).toBe(1);

    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    expect(h.stops()).toBe(1);
    expect(h.signals.listenerCount('SIGTERM') + h.signals.listenerCount('SIGINT')).toBe(0);
  });

  it('passes --store and the built UI through', async () => {
    await mkdir(path.join(dir, 'ui'));
    await writeFile(path.join(dir, 'ui', 'index.html'), '<!doctype html>');
    const h = harness();
    const running = runServer(options({ store: 'memory://', ui: true }), h.deps);
    await until(() => h.out.length > 0, 'the ready message');
    expect(h.started[0]?.storeUrl).toBe('memory://');
    expect(h.started[0]?.uiDistDir).toBe(path.join(dir, 'ui'));
    h.signals.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(0);
  });

  it('passes the node failure timings: a preset, with single timings overridden', async () => {
    const h = harness();
    const running = runServer(options({ nodeTimings: 'kubernetes', nodeMonitorGracePeriod: 8 }), h.deps);
    await until(() => h.out.length > 0, 'the ready message');
    expect(h.started[0]?.controllers?.nodeLifecycle).toMatchObject({
      nodeMonitorGracePeriodSeconds: 8,
      defaultTolerationSeconds: 300,
    });
    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    expect(nodeLifecycleSettings({ nodeTimings: 'desktop', defaultTolerationSeconds: 5 })).toMatchObject({
      nodeMonitorGracePeriodSeconds: 20,
      defaultTolerationSeconds: 5,
    });
  });

  it('refuses --ui when the UI is not built, saying how to build it', async () => {
    const h = harness();
    await expect(runServer(options({ ui: true }), h.deps)).rejects.toMatchObject({
      code: 'UiNotBuilt',
      message: expect.stringContaining('npm run build:ui'),
    });
    expect(h.started).toEqual([]);
  });

  it('awaits stop(), and a second signal during stop forces the exit', async () => {
    const h = harness();
    h.state.holdStop = true;
    const running = runServer(options(), h.deps);
    await until(() => h.out.length > 0, 'the ready message');
    h.signals.emit('SIGINT', 'SIGINT');
    await until(() => h.stops() === 1, 'stop() to be called');
    let settled = false;
    void running.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // still waiting for stop()

    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(h.exits).toEqual([143]);
    h.releaseStop();
    expect(await running).toBe(0);
  });

  it('stops a control plane that finishes starting after the signal arrived', async () => {
    let finish!: () => void;
    const h = harness(() => new Promise<ControlPlane>((resolve) => (finish = () => resolve(h.cp))));
    const running = runServer(options(), h.deps);
    await until(() => h.started.length === 1, 'start to begin');
    h.signals.emit('SIGTERM', 'SIGTERM');
    finish();
    expect(await running).toBe(0);
    expect(h.stops()).toBe(1);
    expect(h.out).toEqual([]);
  });

  it('reports a port in use as AddressInUse', async () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7443'), {
      code: 'EADDRINUSE',
    });
    const h = harness(() => Promise.reject(inUse));
    const err = await runServer(options(), h.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ code: 'AddressInUse' });
    expect((err as Error).message).toContain('port 7443 on 127.0.0.1 is already in use');
    expect(h.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('reports an unusable data dir before starting anything', async () => {
    await writeFile(path.join(dir, 'file'), 'x');
    const h = harness();
    await expect(
      runServer(options({ dataDir: path.join(dir, 'file', 'sub') }), h.deps),
    ).rejects.toMatchObject({
      code: 'DataDirUnusable',
    });
    await expect(runServer(options({ dataDir: path.join(dir, 'file') }), h.deps)).rejects.toThrow(
      /not a directory/,
    );
    expect(h.started).toEqual([]);
  });
});

describe('describeStartError', () => {
  const o = { host: '::1', port: 80 };
  it('maps errno codes (also nested as cause) to clear messages', () => {
    expect(describeStartError(Object.assign(new Error('x'), { code: 'EACCES' }), o)).toMatchObject({
      code: 'ListenFailed',
    });
    expect(
      describeStartError(
        new Error('wrapped', { cause: Object.assign(new Error('y'), { code: 'EADDRNOTAVAIL' }) }),
        o,
      ).message,
    ).toContain('::1 is not an address of this machine');
    expect(describeStartError(new Error('store exploded'), o)).toMatchObject({
      code: 'StartFailed',
      message: 'the control plane failed to start: store exploded',
    });
  });
});
