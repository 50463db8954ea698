// Kubernetes' protobuf media type (`application/vnd.kubernetes.protobuf`): a 4-byte magic `k8s\0`,
// then a runtime.Unknown whose typeMeta names the object and whose raw bytes are the object's
// message. decodeKubernetesProtobuf turns such a body into the JSON object Kubernetes would have
// received for the same Go value, so the REST layer handles it exactly like a JSON body.
import { messageToJson } from './convert';
import type { ConvertContext } from './convert';
import { ProtobufDecodeError } from './errors';
import { MESSAGES, messageForKind } from './table';
import type { MessageTable } from './table';
import { WireReader, WireType } from './wire';

export { ProtobufDecodeError, isProtobufDecodeError } from './errors';
export type { ProtobufErrorCode } from './errors';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"
const utf8 = new TextDecoder('utf-8');

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The object as JSON, with apiVersion and kind set first. */
  object: Record<string, unknown>;
}

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** Reads the `k8s\0` + runtime.Unknown envelope without decoding the object inside. */
export function readEnvelope(buffer: Uint8Array): Envelope {
  if (buffer.length < MAGIC.length || MAGIC.some((b, i) => buffer[i] !== b)) {
    throw new ProtobufDecodeError(
      'NotKubernetesProtobuf',
      `the body is not a Kubernetes protobuf object: it does not start with the 4-byte prefix "k8s\\0" (got ${preview(buffer)})`,
    );
  }
  const env: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  const r = new WireReader(buffer, MAGIC.length);
  while (!r.done()) {
    const { number, wireType } = r.header();
    if (wireType !== WireType.LengthDelimited) {
      r.skip(wireType, number);
      continue;
    }
    const bytes = r.bytes();
    if (number === 1) {
      const tm = new WireReader(bytes);
      while (!tm.done()) {
        const h = tm.header();
        if (h.wireType !== WireType.LengthDelimited || (h.number !== 1 && h.number !== 2)) {
          tm.skip(h.wireType, h.number);
          continue;
        }
        const text = utf8.decode(tm.bytes());
        if (h.number === 1) env.apiVersion = text;
        else env.kind = text;
      }
    } else if (number === 2) env.raw = bytes;
    else if (number === 3) env.contentEncoding = utf8.decode(bytes);
    else if (number === 4) env.contentType = utf8.decode(bytes);
  }
  return env;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into `{ apiVersion, kind, object }`.
 * Throws ProtobufDecodeError: NotKubernetesProtobuf, UnknownKind, UnsupportedEncoding, Truncated,
 * Malformed — each with a message fit for a Status response.
 */
export function decodeKubernetesProtobuf(buffer: Uint8Array, table: MessageTable = MESSAGES): DecodedObject {
  const env = readEnvelope(buffer);
  if (!env.kind || !env.apiVersion) {
    throw new ProtobufDecodeError(
      'Malformed',
      'the protobuf object does not say what it is: its envelope has no apiVersion or kind',
    );
  }
  if (env.contentEncoding) {
    throw new ProtobufDecodeError(
      'UnsupportedEncoding',
      `protobuf objects with contentEncoding "${env.contentEncoding}" are not supported`,
    );
  }
  if (env.contentType && env.contentType !== PROTOBUF_MEDIA_TYPE) {
    throw new ProtobufDecodeError(
      'UnsupportedEncoding',
      `a protobuf envelope holding ${env.contentType} is not supported`,
    );
  }
  const message = messageForKind(env.apiVersion, env.kind, table);
  if (!message) {
    throw new ProtobufDecodeError(
      'UnknownKind',
      `this server cannot decode ${env.kind} (${env.apiVersion}) from protobuf; send it as application/json`,
    );
  }
  const ctx: ConvertContext = {
    table,
    decodeEmbedded: (bytes) => {
      const inner = decodeKubernetesProtobuf(bytes, table);
      return inner.object;
    },
  };
  const body = messageToJson(env.raw, message, ctx, env.kind);
  const object = { apiVersion: env.apiVersion, kind: env.kind, ...(body as Record<string, unknown>) };
  return { apiVersion: env.apiVersion, kind: env.kind, object };
}

function preview(buffer: Uint8Array): string {
  const head = Array.from(buffer.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return buffer.length === 0 ? 'an empty body' : `${head}${buffer.length > 8 ? ' …' : ''}`;
}
