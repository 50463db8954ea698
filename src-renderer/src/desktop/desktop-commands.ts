// Commands from the desktop shell's native menu (`window.flotilla.onCommand`, see shared/ipc.ts
// DesktopCommand): "Apply Manifest…" sends a navigate to /apply and then the opened file. In a plain
// browser there is no `window.flotilla` and nothing is subscribed.
import type { DesktopCommand, FlotillaDesktopApi, OpenedFile } from '../../../src-main/shared/ipc';

export interface CommandTargets {
  navigate(path: string): void;
  openManifest(file: OpenedFile): void;
}

/** Paths the page may be sent to: in-app routes only (no URLs, no protocol-relative `//host`). */
export function isAppPath(path: unknown): path is string {
  return typeof path === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(path) && !path.includes('..');
}

/** Acts on one command; false when it was not understood (a newer shell, a malformed message). */
export function handleDesktopCommand(command: DesktopCommand, targets: CommandTargets): boolean {
  switch (command?.type) {
    case 'navigate':
      if (!isAppPath(command.path)) return false;
      targets.navigate(command.path);
      return true;
    case 'open-manifest':
      if (typeof command.file?.text !== 'string') return false;
      targets.openManifest({ name: String(command.file.name ?? ''), text: command.file.text });
      return true;
    default:
      return false;
  }
}

/** Subscribes when running in the desktop app; returns the unsubscribe function (a no-op elsewhere). */
export function subscribeDesktopCommands(
  desktop: FlotillaDesktopApi | undefined,
  targets: CommandTargets,
): () => void {
  if (!desktop) return () => undefined;
  return desktop.onCommand((command) => {
    handleDesktopCommand(command, targets);
  });
}
