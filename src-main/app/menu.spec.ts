import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { buildMenuTemplate } from './menu';

const actions = () => ({
  applyManifest: vi.fn(),
  exportKubeconfig: vi.fn(),
  connectRemote: vi.fn(),
  useLocal: vi.fn(),
  openDocs: vi.fn(),
});

const sub = (item: MenuItemConstructorOptions | undefined) =>
  (item?.submenu ?? []) as MenuItemConstructorOptions[];
const roles = (items: MenuItemConstructorOptions[]) => items.map((i) => i.role).filter(Boolean);

describe('native menu template', () => {
  it('has File/Edit/View/Window/Help with standard roles on Linux and Windows', () => {
    const a = actions();
    const menu = buildMenuTemplate({ platform: 'linux', isDev: false, mode: 'local', actions: a });
    expect(menu.map((m) => m.label ?? m.role)).toEqual(['&File', '&Edit', '&View', 'windowMenu', 'help']);
    const file = sub(menu[0]);
    expect(file.filter((i) => i.label).map((i) => [i.label, i.accelerator])).toEqual([
      ['Apply Manifest…', 'CmdOrCtrl+O'],
      ['Export Kubeconfig…', 'CmdOrCtrl+Shift+E'],
      ['Connect to Remote Flotilla…', undefined],
    ]);
    expect(roles(file)).toEqual(['quit']);
    expect(roles(sub(menu[1]))).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'delete', 'selectAll']);
    expect(roles(sub(menu[2]))).toEqual([
      'reload',
      'forceReload',
      'resetZoom',
      'zoomIn',
      'zoomOut',
      'togglefullscreen',
    ]);
    const help = sub(menu[4]);
    help[0]!.click!({} as never, undefined, {} as never);
    file[0]!.click!({} as never, undefined, {} as never);
    file[1]!.click!({} as never, undefined, {} as never);
    expect(a.openDocs).toHaveBeenCalledOnce();
    expect(a.applyManifest).toHaveBeenCalledOnce();
    expect(a.exportKubeconfig).toHaveBeenCalledOnce();
  });

  it('shows developer tools only in development, and the way back from a remote cluster', () => {
    const dev = buildMenuTemplate({ platform: 'linux', isDev: true, mode: 'remote', actions: actions() });
    expect(roles(sub(dev[2]))).toContain('toggleDevTools');
    expect(sub(dev[0]).map((i) => i.label)).toContain('Use the Built-in Control Plane');
  });

  it('adds the application menu on macOS', () => {
    const mac = buildMenuTemplate({ platform: 'darwin', isDev: false, mode: 'local', actions: actions() });
    expect(mac[0]!.label).toBe('Flotilla');
    expect(roles(sub(mac[0]))).toEqual(['about', 'services', 'hide', 'hideOthers', 'unhide', 'quit']);
    expect(roles(sub(mac[1]))).toEqual(['close']);
  });
});
