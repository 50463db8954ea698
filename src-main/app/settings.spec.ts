import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, loadSettings, parseSettings, saveSettings, SETTINGS_FILE } from './settings';

describe('desktop settings', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'flotilla-settings-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('defaults to the built-in control plane on 6443 and asks before quitting', async () => {
    expect(await loadSettings(dir)).toEqual({ settings: DEFAULT_SETTINGS });
    expect(DEFAULT_SETTINGS).toEqual({ connection: { mode: 'local', port: 6443 }, confirmQuit: true });
  });

  it('round-trips a remote connection, privately', async () => {
    const settings = {
      connection: { mode: 'remote' as const, kubeconfigPath: '/home/me/kube.yaml' },
      confirmQuit: false,
    };
    await saveSettings(dir, settings);
    expect((await stat(join(dir, SETTINGS_FILE))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, SETTINGS_FILE), 'utf8'))).toEqual(settings);
    expect(await loadSettings(dir)).toEqual({ settings });
  });

  it('falls back to defaults, saying why, for broken files', async () => {
    await writeFile(join(dir, SETTINGS_FILE), '{ nope');
    const loaded = await loadSettings(dir);
    expect(loaded.settings).toEqual(DEFAULT_SETTINGS);
    expect(loaded.problem).toMatch(/not valid JSON/);
    expect(parseSettings({ connection: { mode: 'remote' } }).problem).toMatch(/kubeconfigPath is required/);
    expect(parseSettings({ connection: { mode: 'local', port: 70000 } }).problem).toMatch(/0-65535/);
    expect(parseSettings({ connection: { mode: 'ftp' } }).problem).toMatch(/"local" or "remote"/);
    expect(parseSettings({ connection: { mode: 'local', port: 0 }, confirmQuit: false }).settings).toEqual({
      connection: { mode: 'local', port: 0 },
      confirmQuit: false,
    });
  });
});
