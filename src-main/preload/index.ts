// The preload: runs sandboxed before the page and hands it `window.flotilla`, a handful of typed calls
// for what only the desktop can do. Nothing of Electron or Node leaks through: the page gets plain
// functions that return plain data, and every call goes to one named channel of shared/ipc.ts.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { createDesktopApi } from './api';
import { IPC_EVENT_COMMAND } from '../shared/ipc';
import type { DesktopCommand } from '../shared/ipc';

const api = createDesktopApi({
  invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
  subscribe(listener) {
    const handler = (_event: IpcRendererEvent, command: DesktopCommand) => listener(command);
    ipcRenderer.on(IPC_EVENT_COMMAND, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT_COMMAND, handler);
  },
});

contextBridge.exposeInMainWorld('flotilla', api);
