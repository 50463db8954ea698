import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HEALTH_COLOURS } from './health';
import { encodePng, statusDiscPixels, trayIconPngs } from './tray-icons';

/** Decodes what encodePng writes (filter 0 only), to check the pixels that reach the tray. */
function decode(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const len = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('ascii');
    const data = png.subarray(offset + 8, offset + 8 + len);
    if (type === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (type === 'IDAT') idat.push(data);
    offset += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, rgba };
}

describe('tray icons', () => {
  it('draws an opaque disc in the health colour with transparent corners, at 1x and 2x', () => {
    for (const level of ['healthy', 'degraded', 'empty'] as const) {
      const icons = trayIconPngs(HEALTH_COLOURS[level]);
      expect(icons.map((i) => i.scale)).toEqual([1, 2]);
      for (const { scale, png } of icons) {
        const { width, height, rgba } = decode(png);
        expect([width, height]).toEqual([16 * scale, 16 * scale]);
        const at = (x: number, y: number) => [...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)];
        expect(at(0, 0)[3]).toBe(0);
        expect(at(width / 2, height / 2)).toEqual([...HEALTH_COLOURS[level], 255]);
        expect(png.length).toBeLessThan(1500);
      }
    }
  });

  it('refuses a pixel buffer of the wrong size', () => {
    expect(() => encodePng(4, 4, new Uint8Array(10))).toThrow(RangeError);
    expect(statusDiscPixels(8, [1, 2, 3])).toHaveLength(8 * 8 * 4);
  });
});
