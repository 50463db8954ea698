// The packaging configuration, checked where packaging itself cannot run (no Electron binary here):
// electron-builder.yml is valid against electron-builder's own JSON schema, names the platforms and
// resources the desktop app needs, and every icon it points at exists at the size the OS expects.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const config = YAML.parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
  appId: string;
  productName: string;
  directories: { buildResources: string; output: string };
  files: string[];
  extraResources: { from: string; to: string }[];
  linux: { target: string[]; icon: string };
  mac: { target: string[]; icon: string; entitlements: string };
  win: { target: string[]; icon: string };
};

/** Width and height from a PNG's IHDR. */
function pngSize(file: string): [number, number] {
  const buf = readFileSync(file);
  expect(buf.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

describe('electron-builder configuration', () => {
  it('is valid against electron-builder’s schema', () => {
    const schema = JSON.parse(
      readFileSync(join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });

  it('builds Flotilla for Linux, macOS and Windows from the built output only', () => {
    expect(config.appId).toBe('dev.flotilla.app');
    expect(config.productName).toBe('Flotilla');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.files.filter((f) => !f.startsWith('!'))).toEqual(['out/**', 'package.json']);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('out/main/index.js');
    // Installers never land on the agent bundle in dist/agent.
    expect(config.directories.output).toBe('dist/electron');
  });

  it('ships the agent bundle and the pod sandbox images as extra resources', () => {
    expect(config.extraResources).toEqual([
      { from: 'dist/agent/agent.mjs', to: 'agent/agent.mjs' },
      expect.objectContaining({ from: 'resources/sandbox', to: 'sandbox' }),
    ]);
    expect(existsSync(join(root, 'resources/sandbox'))).toBe(true);
  });

  it('points at icons that exist, at the sizes each OS expects', () => {
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) {
      expect(pngSize(join(root, config.linux.icon, `${size}x${size}.png`))).toEqual([size, size]);
    }
    expect(pngSize(join(root, config.directories.buildResources, 'icon.png'))).toEqual([512, 512]);
    const icns = readFileSync(join(root, config.mac.icon));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const ico = readFileSync(join(root, config.win.icon));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + i * 16] || 256);
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
    expect(existsSync(join(root, config.mac.entitlements))).toBe(true);
    // Small enough to keep in git.
    for (const f of [config.mac.icon, config.win.icon])
      expect(readFileSync(join(root, f)).length).toBeLessThan(150_000);
  });
});
