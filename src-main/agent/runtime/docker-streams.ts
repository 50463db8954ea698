// Docker's stream multiplexing: without a TTY, logs and exec output come as frames of
// [stream type (1 = stdout, 2 = stderr), 0, 0, 0, payload length (big-endian u32)] + payload.
import { PassThrough, Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';

export type StreamType = 0 | 1 | 2;

/** Splits a multiplexed byte stream into its frames, in order. Frames may span chunks. */
export class DockerDemuxer extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (type: StreamType, payload: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const type = this.pending[0] as StreamType;
      this.onFrame(type, this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
    done();
  }
}

/** One readable with the payloads of all frames (stdout and stderr interleaved as they came). */
export function mergeMultiplexed(source: Readable): Readable {
  const out = new PassThrough();
  const demux = new DockerDemuxer((_type, payload) => out.write(payload));
  source.on('error', (err) => out.destroy(err));
  out.on('close', () => source.destroy());
  source.pipe(demux).on('finish', () => out.end());
  demux.resume();
  return out;
}

/** Frames decoded from a complete buffer (non-follow logs arrive as one buffer). */
export function demuxBuffer(buffer: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts);
}

/** Passes at most `limit` bytes, then ends (kubectl logs --limit-bytes). */
export function limitBytes(source: Readable, limit: number): Readable {
  let left = limit;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (left <= 0) return done();
      const part = chunk.subarray(0, left);
      left -= part.length;
      this.push(part);
      if (left <= 0) {
        this.push(null);
        source.destroy();
      }
      done();
    },
  });
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}
