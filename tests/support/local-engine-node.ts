// The local Docker engine can be one node at a time (one pod network `flotilla-pods`, one bridge, one
// set of FLOTILLA-* chains per machine, and the enrollment refuses a second agent). Suites that make
// it a node (node-docker, machine-docker) take this lock so that two of them in parallel vitest
// workers, or two runs on a shared machine, take turns instead of failing each other. The lock is a
// directory (mkdir is atomic) holding the owner's pid; a lock whose owner died is taken over.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'flotilla-local-engine-node.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (up to `timeoutMs`) for the local engine to be free; resolves with the release function. */
export async function lockLocalEngineNode(owner: string, timeoutMs = 600_000): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'owner'), `${process.pid} ${owner}\n`);
      return async () => {
        await rm(LOCK, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(join(LOCK, 'owner'), 'utf8').catch(() => '');
    const pid = Number(text.split(' ')[0]);
    // No owner file yet: the holder is between mkdir and writeFile, unless it died there long ago.
    if (pid > 0 && !alive(pid)) await rm(LOCK, { recursive: true, force: true });
    if (Date.now() > deadline)
      throw new Error(
        `the local Docker engine is in use as a node by ${text.trim() || 'another run'} (${LOCK})`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}
