// The protobuf wire format, read-only: varints, fixed 32/64-bit values and length-delimited
// fields. Every read is bounds-checked so a short buffer fails as Truncated, never as garbage.
import { ProtobufDecodeError } from './errors';

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

export interface FieldHeader {
  number: number;
  wireType: WireType;
}

export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  private truncated(what: string): never {
    throw new ProtobufDecodeError(
      'Truncated',
      `truncated protobuf: ${what} at byte ${this.pos} runs past the end of its message (byte ${this.end})`,
    );
  }

  /**
   * A varint: a number when it has at most 7 bytes (below 2^49, every length, tag and ordinary
   * value), else an unsigned 64-bit BigInt (negative int32/int64 values take 10 bytes).
   */
  varint(): number | bigint {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) this.truncated('a varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) return value;
    }
    this.pos = start;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.truncated('a varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (!(b & 0x80)) return BigInt.asUintN(64, result);
    }
    throw new ProtobufDecodeError(
      'Malformed',
      `malformed protobuf: a varint at byte ${start} is longer than 10 bytes`,
    );
  }

  /** A varint small enough to be a length or a field header. */
  smallVarint(): number {
    const v = this.varint();
    if (typeof v === 'bigint') {
      throw new ProtobufDecodeError(
        'Malformed',
        `malformed protobuf: length ${v} at byte ${this.pos} is too large`,
      );
    }
    return v;
  }

  header(): FieldHeader {
    const key = this.smallVarint();
    const number = Math.floor(key / 8);
    if (number === 0)
      throw new ProtobufDecodeError('Malformed', `malformed protobuf: field number 0 at byte ${this.pos}`);
    return { number, wireType: (key & 7) as WireType };
  }

  fixed32(): DataView {
    return new DataView(this.buf.buffer, this.buf.byteOffset + this.take(4, 'a fixed32 value'), 4);
  }

  fixed64(): DataView {
    return new DataView(this.buf.buffer, this.buf.byteOffset + this.take(8, 'a fixed64 value'), 8);
  }

  /** The bytes of a length-delimited field, as a view (no copy). */
  bytes(): Uint8Array {
    const len = this.smallVarint();
    const start = this.take(len, `a ${len}-byte field`);
    return this.buf.subarray(start, start + len);
  }

  private take(n: number, what: string): number {
    if (this.pos + n > this.end) this.truncated(what);
    const start = this.pos;
    this.pos += n;
    return start;
  }

  /** Skips the value of a field this reader does not know. */
  skip(wireType: WireType, number: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.take(8, 'a fixed64 value');
        return;
      case WireType.LengthDelimited:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.take(4, 'a fixed32 value');
        return;
      case WireType.StartGroup:
        for (;;) {
          if (this.done()) this.truncated(`group ${number}`);
          const h = this.header();
          if (h.wireType === WireType.EndGroup) {
            if (h.number !== number) break;
            return;
          }
          this.skip(h.wireType, h.number);
        }
        throw new ProtobufDecodeError(
          'Malformed',
          `malformed protobuf: group ${number} ends with the wrong field number`,
        );
      default:
        throw new ProtobufDecodeError(
          'Malformed',
          `malformed protobuf: wire type ${wireType} at byte ${this.pos}`,
        );
    }
  }
}
