// The tray icon, drawn here rather than shipped as files: a filled disc in the health colour with a
// darker rim, anti-aliased by supersampling, encoded as PNG. Three colours × two scales are a few
// hundred bytes each, and the colour stays exactly the one health.ts defines. Pure (node:zlib only).
import { deflateSync } from 'node:zlib';

export type Rgb = readonly [number, number, number];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Encodes straight RGBA pixels (row-major, 4 bytes each) as a PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new RangeError('pixel buffer does not match the size');
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A status disc of `size`×`size` pixels: fill colour, a rim 1/8 of the radius wide in a darker shade. */
export function statusDiscPixels(size: number, fill: Rgb): Uint8Array {
  const samples = 4; // per axis: 16 samples per pixel for smooth edges
  const out = new Uint8Array(size * size * 4);
  const centre = size / 2;
  const radius = size / 2 - size / 16;
  const inner = radius * 0.82;
  const rim: Rgb = [fill[0] * 0.7, fill[1] * 0.7, fill[2] * 0.7];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let cover = 0;
      let rimCover = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const dx = x + (sx + 0.5) / samples - centre;
          const dy = y + (sy + 0.5) / samples - centre;
          const d = Math.hypot(dx, dy);
          if (d <= radius) {
            cover++;
            if (d > inner) rimCover++;
          }
        }
      }
      const total = samples * samples;
      const i = (y * size + x) * 4;
      const t = cover ? rimCover / cover : 0;
      out[i] = Math.round(fill[0] * (1 - t) + rim[0] * t);
      out[i + 1] = Math.round(fill[1] * (1 - t) + rim[1] * t);
      out[i + 2] = Math.round(fill[2] * (1 - t) + rim[2] * t);
      out[i + 3] = Math.round((255 * cover) / total);
    }
  }
  return out;
}

/** The tray image at 1× (16 px) and 2× (32 px), as PNG buffers. */
export function trayIconPngs(fill: Rgb): { scale: number; png: Buffer }[] {
  return [1, 2].map((scale) => {
    const size = 16 * scale;
    return { scale, png: encodePng(size, size, statusDiscPixels(size, fill)) };
  });
}
