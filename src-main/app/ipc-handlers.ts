// The main-process side of shared/ipc.ts: one handler per channel, registered through a typed helper
// that (1) answers only the app's own page, (2) validates arguments, and (3) returns IpcResult data —
// a failure becomes {ok:false, error:{code, message}} that the preload rethrows with the same code.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { dialog, ipcMain, Notification } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { DesktopError, IPC_INVOKE_CHANNELS, OPEN_FILE_MAX_BYTES } from '../shared/ipc';
import type {
  AppInfo,
  FileFilter,
  IpcInvokeChannel,
  IpcInvokeChannelMap,
  IpcResult,
  OpenedFile,
} from '../shared/ipc';
import type { Logger } from '../platform/logger';
import { originOf } from './security';
import type { SecretStore } from './secrets';

type Handler<C extends IpcInvokeChannel> = (
  ...args: Parameters<IpcInvokeChannelMap[C]>
) => ReturnType<IpcInvokeChannelMap[C]> | Promise<ReturnType<IpcInvokeChannelMap[C]>>;

export type IpcHandlers = { [C in IpcInvokeChannel]: Handler<C> };

export interface IpcContext {
  appOrigin: string;
  window: () => BrowserWindow | undefined;
  secrets: SecretStore;
  appInfo: () => AppInfo;
  notify: (title: string, body: string) => void;
  log: Logger;
}

function requireString(value: unknown, what: string, max = 1024): string {
  if (typeof value !== 'string' || value.length > max)
    throw new DesktopError('InvalidArgument', `${what} must be a string of at most ${max} characters`);
  return value;
}

function requireFilters(value: unknown): FileFilter[] {
  if (!Array.isArray(value)) throw new DesktopError('InvalidArgument', 'filters must be an array');
  return value.map((f: unknown) => {
    const filter = f as Partial<FileFilter>;
    if (
      !filter ||
      typeof filter.name !== 'string' ||
      !Array.isArray(filter.extensions) ||
      !filter.extensions.every((e) => typeof e === 'string' && /^[\w*.-]{1,16}$/.test(e))
    ) {
      throw new DesktopError('InvalidArgument', 'each filter is {name: string, extensions: string[]}');
    }
    return { name: filter.name, extensions: [...filter.extensions] };
  });
}

/** Reads a text file the person picked, within the size limit the page can take. */
export async function readPickedFile(path: string): Promise<OpenedFile> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new DesktopError('FileUnreadable', `cannot read ${basename(path)}: ${(err as Error).message}`);
  }
  if (size > OPEN_FILE_MAX_BYTES) {
    throw new DesktopError(
      'FileTooLarge',
      `${basename(path)} is ${size} bytes; at most ${OPEN_FILE_MAX_BYTES} can be opened`,
    );
  }
  try {
    return { name: basename(path), text: await readFile(path, 'utf8') };
  } catch (err) {
    throw new DesktopError('FileUnreadable', `cannot read ${basename(path)}: ${(err as Error).message}`);
  }
}

export function createIpcHandlers(ctx: IpcContext): IpcHandlers {
  return {
    async 'dialog:open-file'(filters) {
      const checked = requireFilters(filters);
      const win = ctx.window();
      const options = { properties: ['openFile' as const], filters: checked };
      const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      const path = picked.canceled ? undefined : picked.filePaths[0];
      return path ? readPickedFile(path) : null;
    },
    async 'dialog:save-file'(defaultName, text) {
      const name = basename(requireString(defaultName, 'defaultName', 255));
      const body = requireString(text, 'text', OPEN_FILE_MAX_BYTES);
      const win = ctx.window();
      const options = { defaultPath: name };
      const picked = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      if (picked.canceled || !picked.filePath) return null;
      try {
        await writeFile(picked.filePath, body, 'utf8');
      } catch (err) {
        throw new DesktopError(
          'FileUnwritable',
          `cannot write ${basename(picked.filePath)}: ${(err as Error).message}`,
        );
      }
      return { name: basename(picked.filePath) };
    },
    'secrets:store': (key, value) => ctx.secrets.store(key, value),
    'secrets:read': (key) => ctx.secrets.read(key),
    'secrets:delete': (key) => ctx.secrets.delete(key),
    'notify:show'(title, body) {
      ctx.notify(requireString(title, 'title', 200), requireString(body, 'body', 2000));
    },
    'app:info': () => ctx.appInfo(),
  };
}

/** Registers every channel of the map (and only those) on ipcMain. */
export function registerIpcHandlers(
  handlers: IpcHandlers,
  ctx: Pick<IpcContext, 'appOrigin' | 'log'>,
): () => void {
  for (const channel of IPC_INVOKE_CHANNELS) {
    const handler = handlers[channel] as (...args: unknown[]) => unknown;
    ipcMain.handle(
      channel,
      async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcResult<unknown>> => {
        try {
          const from = originOf(event.senderFrame?.url ?? '');
          if (from !== ctx.appOrigin)
            throw new DesktopError('Forbidden', `${channel} is only for the Flotilla page`);
          return { ok: true, value: await handler(...args) };
        } catch (err) {
          if (err instanceof DesktopError)
            return { ok: false, error: { code: err.code, message: err.detail } };
          ctx.log.error('IPC handler failed', { channel, err });
          return { ok: false, error: { code: 'Internal', message: (err as Error).message ?? String(err) } };
        }
      },
    );
  }
  return () => IPC_INVOKE_CHANNELS.forEach((c) => ipcMain.removeHandler(c));
}

/** A desktop notification (when the OS supports them); clicking it brings the window forward. */
export function showNotification(title: string, body: string, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const n = new Notification({ title, body });
  n.on('click', onClick);
  n.show();
}
