import { describe, expect, it } from 'vitest';
import type { DesktopCommand, FlotillaDesktopApi, OpenedFile } from '../../../src-main/shared/ipc';
import { handleDesktopCommand, isAppPath, subscribeDesktopCommands } from './desktop-commands';

function recorder() {
  const seen: string[] = [];
  return {
    seen,
    targets: {
      navigate: (path: string) => seen.push(`navigate ${path}`),
      openManifest: (file: OpenedFile) => seen.push(`open ${file.name} (${file.text.length} chars)`),
    },
  };
}

describe('desktop menu commands', () => {
  it('navigates to app routes and hands opened manifests over', () => {
    const r = recorder();
    expect(handleDesktopCommand({ type: 'navigate', path: '/apply' }, r.targets)).toBe(true);
    expect(
      handleDesktopCommand(
        { type: 'open-manifest', file: { name: 'web.yaml', text: 'kind: Pod\n' } },
        r.targets,
      ),
    ).toBe(true);
    expect(r.seen).toEqual(['navigate /apply', 'open web.yaml (10 chars)']);
  });

  it('ignores what it does not understand or must not follow', () => {
    const r = recorder();
    for (const bad of [
      { type: 'navigate', path: 'https://example.org/' },
      { type: 'navigate', path: '//evil.example/x' },
      { type: 'navigate', path: '/../etc' },
      { type: 'open-manifest', file: { name: 'x' } },
      { type: 'quit' },
    ])
      expect(handleDesktopCommand(bad as unknown as DesktopCommand, r.targets)).toBe(false);
    expect(r.seen).toEqual([]);
    expect(isAppPath('/machines/add?type=ssh')).toBe(true);
  });

  it('subscribes through window.flotilla in the desktop, and is a no-op in a browser', () => {
    const listeners = new Set<(c: DesktopCommand) => void>();
    const desktop = {
      onCommand: (l: (c: DesktopCommand) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    } as unknown as FlotillaDesktopApi;
    const r = recorder();
    const off = subscribeDesktopCommands(desktop, r.targets);
    for (const l of listeners) l({ type: 'navigate', path: '/machines' });
    off();
    expect(listeners.size).toBe(0);
    expect(r.seen).toEqual(['navigate /machines']);
    expect(subscribeDesktopCommands(undefined, r.targets)).toBeTypeOf('function');
  });
});
