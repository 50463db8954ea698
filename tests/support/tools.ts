// Finding the real external tools the integration suites drive (kubectl, docker, etcd, chromium).
// Under CI=true a missing tool fails the suite; elsewhere the suite is skipped with the reason.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function which(command: string): string | undefined {
  if (command.includes('/')) {
    try {
      accessSync(command, constants.X_OK);
      return command;
    } catch {
      return undefined;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export const inCI = process.env.CI === 'true';

/**
 * Returns the tool's path, or undefined when it is missing outside CI (the caller skips with the
 * returned reason). In CI a missing tool throws, so the suite fails rather than passing silently.
 */
export function requireTool(command: string, installHint: string): { path?: string; skipReason?: string } {
  const path = which(command);
  if (path) return { path };
  const reason = `${command} not found (${installHint})`;
  if (inCI) throw new Error(`CI=true and ${reason}: the suite cannot run without it`);
  return { skipReason: reason };
}
