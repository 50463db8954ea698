import { describe, expect, it, vi } from 'vitest';
import { DesktopError, desktopErrorCode } from '../shared/ipc';
import type { IpcResult } from '../shared/ipc';
import { createDesktopApi } from './api';

describe('window.flotilla over IPC', () => {
  it('calls the named channel with its arguments and unwraps the value', async () => {
    const invoke = vi.fn(async (): Promise<IpcResult<unknown>> => ({
      ok: true,
      value: { name: 'a.yaml', text: 'x' },
    }));
    const api = createDesktopApi({ invoke, subscribe: () => () => {} });
    await expect(api.openFile([{ name: 'YAML', extensions: ['yaml'] }])).resolves.toEqual({
      name: 'a.yaml',
      text: 'x',
    });
    expect(invoke).toHaveBeenCalledWith('dialog:open-file', [{ name: 'YAML', extensions: ['yaml'] }]);
    await api.secrets.store('k', 'v');
    expect(invoke).toHaveBeenLastCalledWith('secrets:store', 'k', 'v');
    await api.appInfo();
    expect(invoke).toHaveBeenLastCalledWith('app:info');
  });

  it('rethrows failures with their code, also recoverable from the message alone', async () => {
    const api = createDesktopApi({
      invoke: async () => ({ ok: false, error: { code: 'EncryptionUnavailable', message: 'no key ring' } }),
      subscribe: () => () => {},
    });
    const err = await api.secrets.read('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DesktopError);
    expect(err).toMatchObject({
      code: 'EncryptionUnavailable',
      message: 'EncryptionUnavailable: no key ring',
    });
    // What the page sees after the context bridge copied the error (message only):
    expect(
      desktopErrorCode(new Error('Error invoking remote method: EncryptionUnavailable: no key ring')),
    ).toBe('EncryptionUnavailable');
    expect(desktopErrorCode(new Error('Something: else'))).toBeUndefined();
    const bad = createDesktopApi({ invoke: async () => 'junk', subscribe: () => () => {} });
    await expect(bad.notify('t', 'b')).rejects.toMatchObject({ code: 'Internal' });
  });

  it('passes menu commands to subscribers', () => {
    let deliver: ((c: { type: 'navigate'; path: string }) => void) | undefined;
    const unsubscribe = vi.fn();
    const api = createDesktopApi({
      invoke: async () => ({ ok: true, value: null }),
      subscribe: (l) => ((deliver = l), unsubscribe),
    });
    const seen: unknown[] = [];
    const off = api.onCommand((c) => seen.push(c));
    deliver!({ type: 'navigate', path: '/apply' });
    off();
    expect(seen).toEqual([{ type: 'navigate', path: '/apply' }]);
    expect(unsubscribe).toHaveBeenCalledOnce();
  });
});
