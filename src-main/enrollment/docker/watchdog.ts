// Supervision beyond the engine's restart policy: Docker does not restart a container that was
// stopped by hand or whose engine restarted with it stopped (unless-stopped). The control plane host
// runs this watchdog: every interval it starts the agent container of each Docker node added from
// its data dir if it is not running. Returns a handle that stops it.
import { agentContainerName } from './agent-container';
import { connectEngine, isAlreadyStarted, isNotFound } from './engine';
import { listNodeRecords } from './node-files';

export interface WatchdogOptions {
  dataDir: string;
  intervalMs?: number;
  log?: (line: string) => void;
}

export function startDockerNodeWatchdog(options: WatchdogOptions): {
  stop(): void;
  check(): Promise<string[]>;
} {
  const log = options.log ?? (() => {});
  let running = false;
  async function check(): Promise<string[]> {
    if (running) return [];
    running = true;
    const restarted: string[] = [];
    try {
      for (const record of await listNodeRecords(options.dataDir)) {
        try {
          const engine = await connectEngine(record.dockerHost);
          const c = engine.docker.getContainer(agentContainerName(record.nodeName));
          const info = await c.inspect();
          if (!info.State.Running && !info.State.Restarting) {
            log(`agent of node ${record.nodeName} is not running (exit ${info.State.ExitCode}): starting it`);
            await c.start();
            restarted.push(record.nodeName);
          }
        } catch (err) {
          // A removed container means the node is being removed: not the watchdog's business.
          // Already started: an enrollment (or the engine) started it between our look and our start.
          if (!isNotFound(err) && !isAlreadyStarted(err))
            log(`watchdog: node ${record.nodeName}: ${(err as Error).message}`);
        }
      }
    } finally {
      running = false;
    }
    return restarted;
  }
  const timer = setInterval(() => void check(), options.intervalMs ?? 15_000);
  timer.unref();
  return { stop: () => clearInterval(timer), check };
}
