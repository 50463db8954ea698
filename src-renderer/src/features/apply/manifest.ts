// Parses what the person typed in the Apply editor: one or more YAML documents (`---`), or JSON (one
// object, an array of objects, or a `kind: List`). Every problem carries the line and column it is
// at, and server answers (Status causes with field paths like `spec.template.spec.containers[0].image`)
// can be mapped back to the line of that field in the document it came from.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { findResourceByKind } from '../../../../src-main/shared/resources';
import type { ResourceInfo } from '../../../../src-main/shared/resources';
import type { KubeObjectLike } from '../../../../src-main/shared/kube/types';

export interface ManifestProblem {
  /** 1-based. */
  line: number;
  column: number;
  message: string;
  /** Index of the manifest object it belongs to, when known. */
  objectIndex?: number;
}

export interface ManifestObject {
  index: number;
  /** 1-based line where this object starts. */
  line: number;
  object: KubeObjectLike;
  resource: ResourceInfo;
  name: string;
  namespace?: string;
  /** `Deployment web` — how results name it. */
  label: string;
  /** Line of a field path inside this object (falls back to the deepest ancestor that exists). */
  lineOf(fieldPath: string): number;
}

export interface ParsedManifest {
  objects: ManifestObject[];
  problems: ManifestProblem[];
}

type PathPart = string | number;

/** `spec.containers[0].image` / `metadata.labels[app.kubernetes.io/name]` → path parts. */
export function parseFieldPath(field: string): PathPart[] {
  const parts: PathPart[] = [];
  let current = '';
  for (let i = 0; i < field.length; i++) {
    const ch = field[i];
    if (ch === '.') {
      if (current) parts.push(current);
      current = '';
    } else if (ch === '[') {
      if (current) parts.push(current);
      current = '';
      const end = field.indexOf(']', i);
      const inner = end < 0 ? field.slice(i + 1) : field.slice(i + 1, end);
      parts.push(/^\d+$/.test(inner) ? Number(inner) : inner);
      i = end < 0 ? field.length : end;
    } else {
      current += ch;
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** The node at `key` and where it is written: a map entry's key line, a list item's own line. */
function child(node: unknown, key: PathPart): { node: unknown; offset: number | undefined } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => {
      const k = p.key as { value?: unknown } | null;
      return k !== null && typeof k === 'object' && String(k.value) === String(key);
    });
    if (!pair) return undefined;
    return { node: pair.value, offset: nodeOffset(pair.key) ?? nodeOffset(pair.value) };
  }
  if (isSeq(node) && typeof key === 'number') {
    const item = node.items[key];
    return item === undefined ? undefined : { node: item, offset: nodeOffset(item) };
  }
  return undefined;
}

function childNode(node: unknown, key: PathPart): unknown {
  return child(node, key)?.node;
}

function nodeOffset(node: unknown): number | undefined {
  const range = (node as YamlNode | undefined)?.range;
  return range ? range[0] : undefined;
}

const KIND_NAMES_HINT = 'Check apiVersion and kind (e.g. apps/v1 Deployment, v1 Service).';

export function parseManifest(text: string): ParsedManifest {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: ManifestProblem[] = [];
  const objects: ManifestObject[] = [];
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  if (!Array.isArray(docs)) return { objects, problems };
  let counter = 0;

  for (const doc of docs as Document.Parsed[]) {
    for (const err of [...doc.errors]) {
      const at = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
      problems.push({ line: at.line, column: at.col, message: err.message.split('\n')[0] ?? err.message });
    }
    if (doc.errors.length > 0) continue;
    // An empty document (a trailing `---`, only comments) holds nothing to apply.
    if (
      doc.contents === null ||
      (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))
    )
      continue;

    // One document may hold several objects: a JSON array or a `kind: List`.
    const root = doc.contents;
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    const entries: { node: unknown; value: unknown }[] = [];
    if (Array.isArray(value)) {
      value.forEach((v, i) => entries.push({ node: childNode(root, i), value: v }));
    } else if (isListKind(value)) {
      const items = (value as { items: unknown[] }).items;
      const itemsNode = childNode(root, 'items');
      items.forEach((v, i) => entries.push({ node: childNode(itemsNode, i), value: v }));
    } else {
      entries.push({ node: root, value });
    }

    for (const entry of entries) {
      const index = counter++;
      const startOffset = nodeOffset(entry.node) ?? nodeOffset(root) ?? 0;
      const start = pos(startOffset);
      const lineOfPath = (path: PathPart[]): number => {
        let node: unknown = entry.node;
        let best = startOffset;
        for (const part of path) {
          const next = child(node, part);
          if (!next || next.offset === undefined) break;
          best = next.offset;
          node = next.node;
        }
        return pos(best).line;
      };
      const problem = (message: string, path: PathPart[] = []) =>
        problems.push({ line: lineOfPath(path), column: 1, message, objectIndex: index });

      const obj = entry.value;
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        problem('expected an object with apiVersion, kind and metadata');
        continue;
      }
      const o = obj as KubeObjectLike;
      if (typeof o.apiVersion !== 'string' || !o.apiVersion) {
        problem('apiVersion is required (e.g. apps/v1)');
        continue;
      }
      if (typeof o.kind !== 'string' || !o.kind) {
        problem('kind is required (e.g. Deployment)', ['apiVersion']);
        continue;
      }
      const resource = findResourceByKind(o.apiVersion, o.kind);
      if (!resource) {
        problem(`${o.apiVersion} ${o.kind} is not a kind this cluster serves. ${KIND_NAMES_HINT}`, ['kind']);
        continue;
      }
      const meta = o.metadata;
      if (meta === undefined || meta === null || typeof meta !== 'object') {
        problem('metadata with a name is required', ['kind']);
        continue;
      }
      const name = typeof meta.name === 'string' ? meta.name : '';
      if (!name) {
        problem(
          meta.generateName
            ? 'metadata.name is required here: applying needs a fixed name to find the object next time (generateName only works with create)'
            : 'metadata.name is required',
          ['metadata'],
        );
        continue;
      }
      const namespace = resource.namespaced
        ? typeof meta.namespace === 'string' && meta.namespace
          ? meta.namespace
          : 'default'
        : undefined;
      objects.push({
        index,
        line: start.line,
        object: o,
        resource,
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        label: `${o.kind} ${namespace && namespace !== 'default' ? `${namespace}/` : ''}${name}`,
        lineOf: (fieldPath: string) => lineOfPath([...parseFieldPath(fieldPath)]),
      });
    }
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { objects, problems };
}

function isListKind(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { kind?: unknown; items?: unknown };
  return typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}
