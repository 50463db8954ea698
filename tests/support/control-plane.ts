// Starts a real control plane for a test: in-process (fast, same code as `flotilla server`) on a free
// loopback port with a fresh data dir, and gives the test its kubeconfig.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../src-main/control-plane';
import type { ControlPlane, ControlPlaneOptions } from '../../src-main/control-plane';
import { createLogger } from '../../src-main/platform/logger';
import type { Logger } from '../../src-main/platform/logger';

export interface TestControlPlane extends ControlPlane {
  dataDir: string;
  /** Stops the control plane and removes its data dir. */
  dispose(): Promise<void>;
}

/** Warnings and errors only, unless FLOTILLA_TEST_LOG=debug. */
export function testLogger(component = 'test'): Logger {
  return createLogger({ component, level: process.env.FLOTILLA_TEST_LOG === 'debug' ? 'debug' : 'warn' });
}

/** A fresh data dir, for tests that stop a control plane and start another on the same one. */
export async function newDataDir(prefix = 'flotilla-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startTestControlPlane(
  options: {
    storeUrl?: string;
    dataDir?: string;
    /** Listen address (default 127.0.0.1); the serving certificate covers it. */
    host?: string;
    uiDistDir?: string;
    /**
     * Also run the scheduler and the controllers, as `flotilla server` does. Off by default: most
     * suites test one component and start it themselves.
     */
    components?: boolean;
    tuning?: ControlPlaneOptions['tuning'];
    /** Controller settings a test shortens (node-failure timings). */
    controllers?: ControlPlaneOptions['controllers'];
  } = {},
): Promise<TestControlPlane> {
  const dataDir = options.dataDir ?? (await newDataDir());
  const log = testLogger();
  const cp = await startControlPlane({
    dataDir,
    host: options.host ?? '127.0.0.1',
    port: 0,
    storeUrl: options.storeUrl ?? `sqlite://${join(dataDir, 'state.db')}`,
    log,
    ...(options.uiDistDir ? { uiDistDir: options.uiDistDir } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
    ...(options.controllers ? { controllers: options.controllers } : {}),
    ...(options.components
      ? {}
      : { disable: ['scheduler', 'controllers'] as ('scheduler' | 'controllers')[] }),
  });
  return {
    ...cp,
    dataDir,
    async dispose() {
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
