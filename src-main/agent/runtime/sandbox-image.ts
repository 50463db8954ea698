// The sandbox ("pause") image, made on the node itself: the static pause binary for the engine's
// architecture (embedded in the agent, see resources/sandbox/pause.c) in a one-file tar built in
// memory, turned into an image with `docker import`. No registry is ever involved.
import { createHash } from 'node:crypto';
import { PAUSE_BINARIES } from './pause-binaries.generated';
import { tarArchive } from './tar';
import { RuntimeError } from './types';

export const SANDBOX_REPOSITORY = 'flotilla.local/pause';

/** Docker reports `x86_64`/`aarch64` in `info.Architecture`; images use `amd64`/`arm64`. */
export function pauseArchitecture(engineArchitecture: string): 'amd64' | 'arm64' {
  const a = engineArchitecture.toLowerCase();
  if (a === 'x86_64' || a === 'amd64') return 'amd64';
  if (a === 'aarch64' || a === 'arm64') return 'arm64';
  throw new RuntimeError(
    'Unsupported',
    `no sandbox binary for architecture ${engineArchitecture} (have amd64, arm64)`,
  );
}

export function pauseBinary(arch: 'amd64' | 'arm64'): Buffer {
  return Buffer.from(PAUSE_BINARIES[arch], 'base64');
}

/** The image name: the tag is the binary's hash, so a new pause.c gives a new image and never a stale one. */
export function sandboxImageName(arch: 'amd64' | 'arm64'): string {
  const digest = createHash('sha256').update(pauseBinary(arch)).digest('hex').slice(0, 12);
  return `${SANDBOX_REPOSITORY}:${arch}-${digest}`;
}

export function sandboxImageArchive(arch: 'amd64' | 'arm64'): Buffer {
  return tarArchive([{ name: 'pause', data: pauseBinary(arch), mode: 0o755 }]);
}

/** The image config changes `docker import` applies. */
// (docker import accepts only some instructions: STOPSIGNAL is not one, and SIGTERM is the default anyway.)
export const SANDBOX_IMAGE_CHANGES = ['ENTRYPOINT ["/pause"]'];
