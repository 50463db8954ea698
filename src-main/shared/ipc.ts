// The one IPC contract between the desktop shell's main process and the renderer: every channel, its
// arguments and its result in a single typed map (podman-desktop's ipc-invoke-channel-map style). The
// main process registers exactly these handlers, the preload exposes exactly these calls as
// `window.flotilla`, and the renderer sees the same types. Errors cross the boundary as data
// (`IpcResult`) and the preload rethrows them as `DesktopError` with their code.

export interface FileFilter {
  /** What the dialog shows, e.g. "Kubernetes manifests". */
  name: string;
  /** Extensions without the dot, e.g. ['yaml', 'yml', 'json']. */
  extensions: string[];
}

export interface OpenedFile {
  /** The file's base name (never its full path: the renderer has no business with the disk layout). */
  name: string;
  text: string;
}

export interface SavedFile {
  name: string;
}

export interface AppInfo {
  version: string;
  platform: string;
  /** The control plane's data folder (local mode), or '' when connected to a remote Flotilla. */
  dataDir: string;
  /** The API server the UI talks to (https://127.0.0.1:PORT locally). */
  apiUrl: string;
  /** 'local': the control plane runs inside the app; 'remote': the app is a window onto another one. */
  mode: 'local' | 'remote';
}

/** Commands the main process sends to the page (from the native menu). */
export type DesktopCommand = { type: 'open-manifest'; file: OpenedFile } | { type: 'navigate'; path: string };

/** Request/response channels: name → (…args) => result. */
export interface IpcInvokeChannelMap {
  'dialog:open-file': (filters: FileFilter[]) => OpenedFile | null;
  'dialog:save-file': (defaultName: string, text: string) => SavedFile | null;
  'secrets:store': (key: string, value: string) => void;
  'secrets:read': (key: string) => string | null;
  'secrets:delete': (key: string) => boolean;
  'notify:show': (title: string, body: string) => void;
  'app:info': () => AppInfo;
}

export type IpcInvokeChannel = keyof IpcInvokeChannelMap;

export const IPC_INVOKE_CHANNELS: readonly IpcInvokeChannel[] = [
  'dialog:open-file',
  'dialog:save-file',
  'secrets:store',
  'secrets:read',
  'secrets:delete',
  'notify:show',
  'app:info',
];

/** Main → renderer events. */
export const IPC_EVENT_COMMAND = 'desktop:command';

export type DesktopErrorCode =
  | 'Forbidden'
  | 'InvalidArgument'
  | 'EncryptionUnavailable'
  | 'SecretNotReadable'
  | 'FileTooLarge'
  | 'FileUnreadable'
  | 'FileUnwritable'
  | 'Internal';

export interface DesktopErrorData {
  code: DesktopErrorCode;
  message: string;
}

/** What actually travels over IPC: a value or an error as data, never a thrown Error (which loses its code). */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: DesktopErrorData };

/**
 * A failed desktop call. Electron's contextBridge copies errors into the page keeping only their
 * message, so the code also leads the message (`EncryptionUnavailable: …`); `desktopErrorCode(err)`
 * recovers it on the page side.
 */
export class DesktopError extends Error {
  constructor(
    readonly code: DesktopErrorCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DesktopError';
  }
}

const DESKTOP_ERROR_CODES: readonly DesktopErrorCode[] = [
  'Forbidden',
  'InvalidArgument',
  'EncryptionUnavailable',
  'SecretNotReadable',
  'FileTooLarge',
  'FileUnreadable',
  'FileUnwritable',
  'Internal',
];

/** The code of an error from `window.flotilla` (also after the context bridge copied it), if it is one. */
export function desktopErrorCode(err: unknown): DesktopErrorCode | undefined {
  if (err instanceof DesktopError) return err.code;
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  // The bridge may prefix the copy ("Error invoking remote method …: "), so search, not anchor.
  const code = /\b([A-Z][A-Za-z]+): /.exec(message)?.[1];
  return DESKTOP_ERROR_CODES.find((c) => c === code);
}

/** Secret names are file-name-safe identifiers, e.g. `ssh-key/web-1` or `token.remote`. */
export const SECRET_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

/** Largest secret value accepted (an SSH private key is a few KiB). */
export const SECRET_MAX_BYTES = 64 * 1024;

/** Largest file `openFile` reads into the page (manifests, keys). */
export const OPEN_FILE_MAX_BYTES = 8 * 1024 * 1024;

/** The API the preload exposes as `window.flotilla` (present only inside the desktop app). */
export interface FlotillaDesktopApi {
  openFile(filters?: FileFilter[]): Promise<OpenedFile | null>;
  saveFile(defaultName: string, text: string): Promise<SavedFile | null>;
  secrets: {
    store(key: string, value: string): Promise<void>;
    read(key: string): Promise<string | null>;
    delete(key: string): Promise<boolean>;
  };
  notify(title: string, body: string): Promise<void>;
  appInfo(): Promise<AppInfo>;
  /** Subscribes to commands from the native menu; returns the unsubscribe function. */
  onCommand(listener: (command: DesktopCommand) => void): () => void;
}
