// `window.flotilla` built over an injected invoke function, so it is testable without Electron. Each
// call unwraps the IpcResult the main process sends and rethrows failures as DesktopError with the
// same code.
import { DesktopError } from '../shared/ipc';
import type {
  DesktopCommand,
  FlotillaDesktopApi,
  IpcInvokeChannel,
  IpcInvokeChannelMap,
  IpcResult,
} from '../shared/ipc';

export interface PreloadBridge {
  invoke(channel: IpcInvokeChannel, ...args: unknown[]): Promise<unknown>;
  subscribe(listener: (command: DesktopCommand) => void): () => void;
}

export function createDesktopApi(bridge: PreloadBridge): FlotillaDesktopApi {
  async function call<C extends IpcInvokeChannel>(
    channel: C,
    ...args: Parameters<IpcInvokeChannelMap[C]>
  ): Promise<ReturnType<IpcInvokeChannelMap[C]>> {
    const result = (await bridge.invoke(channel, ...args)) as IpcResult<ReturnType<IpcInvokeChannelMap[C]>>;
    if (!result || typeof result !== 'object' || !('ok' in result)) {
      throw new DesktopError('Internal', `malformed answer on ${channel}`);
    }
    if (!result.ok) throw new DesktopError(result.error.code, result.error.message);
    return result.value;
  }

  return {
    openFile: (filters = []) => call('dialog:open-file', filters),
    saveFile: (defaultName, text) => call('dialog:save-file', defaultName, text),
    secrets: {
      store: (key, value) => call('secrets:store', key, value),
      read: (key) => call('secrets:read', key),
      delete: (key) => call('secrets:delete', key),
    },
    notify: (title, body) => call('notify:show', title, body),
    appInfo: () => call('app:info'),
    onCommand: (listener) => bridge.subscribe(listener),
  };
}
