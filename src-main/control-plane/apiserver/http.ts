// HTTP plumbing for the API server: reading bodies within a limit, negotiating the response form
// (plain object, Table, metadata only), and writing JSON and Status responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { errors, isApiError } from './errors';
import { decodeKubernetesProtobuf, isProtobufDecodeError, PROTOBUF_MEDIA_TYPE } from './protobuf/decode';
import type { ApiError } from './errors';

/** Kubernetes' limit for a request body (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    throw errors.tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw errors.tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

/** Parses a JSON or YAML object body. Errors say what was wrong and where (line, column). */
export function parseObjectBody(body: Buffer, contentType: string): unknown {
  if (body.length === 0) throw errors.badRequest('the request body is empty; expected a JSON or YAML object');
  // kubectl's typed clients (`kubectl create namespace|configmap|deployment…`) send protobuf.
  if (contentType === PROTOBUF_MEDIA_TYPE) {
    try {
      return decodeKubernetesProtobuf(body).object;
    } catch (err) {
      if (isProtobufDecodeError(err))
        throw errors.badRequest(`the protobuf request body could not be decoded: ${err.message}`);
      throw err;
    }
  }
  const text = body.toString('utf8');
  let value: unknown;
  if (contentType === 'application/json' || contentType.endsWith('+json')) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw errors.badRequest(`the request body is not valid JSON: ${jsonErrorWhere(text, err)}`);
    }
  } else if (contentType === 'application/yaml' || contentType.endsWith('+yaml')) {
    try {
      value = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
    } catch (err) {
      throw errors.badRequest(`the request body is not valid YAML: ${(err as Error).message}`);
    }
  } else {
    throw errors.unsupportedMediaType(contentType);
  }
  return value;
}

/** Node's JSON errors name a position; people want a line and column. */
function jsonErrorWhere(text: string, err: unknown): string {
  const message = (err as Error).message;
  const match = /position (\d+)/.exec(message);
  if (!match) return message;
  const pos = Number(match[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

export type ResponseForm = 'object' | 'table' | 'metadata';

/** What the client asked for in Accept: `application/json;as=Table;v=v1;g=meta.k8s.io` and friends. */
export function responseForm(req: IncomingMessage): ResponseForm {
  const accept = req.headers.accept;
  if (!accept) return 'object';
  for (const clause of accept.split(',')) {
    const params = clause.split(';').map((s) => s.trim());
    const type = params[0];
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const as = params.find((p) => p.startsWith('as='))?.slice(3);
    const g = params.find((p) => p.startsWith('g='))?.slice(2);
    if (as === undefined) return 'object';
    if (g !== 'meta.k8s.io') continue;
    if (as === 'Table') return 'table';
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'metadata';
  }
  return 'object';
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body), headers);
}

export function sendRaw(
  res: ServerResponse,
  code: number,
  json: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(json);
}

export function sendError(res: ServerResponse, err: ApiError | unknown) {
  const apiErr = isApiError(err) ? err : errors.internal(err instanceof Error ? err.message : String(err));
  sendJson(res, apiErr.code, apiErr.toStatus());
}

/** A `Warning` header value as Kubernetes writes it (RFC 7234 warn-code 299). */
export function warningHeader(messages: string[]): string {
  return messages.map((m) => `299 - ${JSON.stringify(m)}`).join(', ');
}
