// The tray icon: a disc in the cluster's health colour, the summary as tooltip, and a short menu.
import { Menu, nativeImage, Tray } from 'electron';
import type { NativeImage } from 'electron';
import { HEALTH_COLOURS } from './health';
import type { ClusterHealth, HealthLevel } from './health';
import { trayIconPngs } from './tray-icons';

export interface AppTray {
  update(health: ClusterHealth): void;
  destroy(): void;
}

function iconFor(level: HealthLevel): NativeImage {
  const image = nativeImage.createEmpty();
  for (const { scale, png } of trayIconPngs(HEALTH_COLOURS[level])) {
    image.addRepresentation({ scaleFactor: scale, buffer: png });
  }
  return image;
}

export function createTray(actions: { show(): void; quit(): void }): AppTray {
  const icons = new Map<HealthLevel, NativeImage>();
  const icon = (level: HealthLevel) => {
    let image = icons.get(level);
    if (!image) icons.set(level, (image = iconFor(level)));
    return image;
  };
  const tray = new Tray(icon('empty'));
  const menu = (summary: string) =>
    Menu.buildFromTemplate([
      { id: 'health', label: summary, enabled: false },
      { type: 'separator' },
      { id: 'show', label: 'Open Flotilla', click: () => actions.show() },
      { id: 'quit', label: 'Quit Flotilla', click: () => actions.quit() },
    ]);
  tray.setToolTip('Flotilla — connecting…');
  tray.setContextMenu(menu('Connecting…'));
  tray.on('click', () => actions.show());
  return {
    update(health) {
      tray.setImage(icon(health.level));
      tray.setToolTip(`Flotilla — ${health.summary}`);
      tray.setContextMenu(menu(health.summary));
    },
    destroy: () => tray.destroy(),
  };
}
