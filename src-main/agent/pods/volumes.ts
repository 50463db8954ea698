// Pod volumes on the node's disk, under ROOT/pods/<uid>/volumes/<kind>/<name>: emptyDir folders,
// hostPath checks, and ConfigMap/Secret contents projected as files that are rewritten when the
// object changes.
//
// Projection uses Kubernetes' atomic-writer layout, because the folder is bind-mounted into running
// containers: the mount pins the folder itself, so new content must appear inside it, and a reader
// must never see half an update. Files live in a timestamped subfolder; `..data` is a symlink to
// it; each visible name is a symlink through `..data`. An update writes a new subfolder and renames
// a new `..data` link over the old one — a single atomic step.
import {
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
  chmod,
  lstat,
} from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { PodSetupError } from './errors';
import type { KeyToPath, ObjectLookup, Pod, Volume } from './types';

export interface VolumePath {
  hostPath: string;
  readOnly: boolean;
}

const DATA_LINK = '..data';

/** The files a ConfigMap or Secret volume shows: relative path → content and mode. */
export type Projection = Map<string, { data: Buffer; mode: number }>;

export function projectKeys(
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): Projection {
  const out: Projection = new Map();
  if (!items?.length) {
    for (const [key, value] of Object.entries(data)) out.set(key, { data: value, mode: defaultMode });
    return out;
  }
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new PodSetupError('FailedMount', `configuration key "${item.key}" not found in ${what}`);
    }
    const path = posix.normalize(item.path);
    if (path.startsWith('..') || posix.isAbsolute(path)) {
      throw new PodSetupError(
        'FailedMount',
        `item path "${item.path}" of ${what} must be relative and stay inside the volume`,
      );
    }
    out.set(path, { data: value, mode: item.mode ?? defaultMode });
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function currentProjection(dir: string): Promise<Projection | undefined> {
  let target: string;
  try {
    target = await readlink(join(dir, DATA_LINK));
  } catch {
    return undefined;
  }
  const out: Projection = new Map();
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(dir, target, rel), { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(relPath);
      else {
        const full = join(dir, target, relPath);
        out.set(relPath, { data: await readFile(full), mode: (await stat(full)).mode & 0o777 });
      }
    }
  };
  await walk('');
  return out;
}

function sameProjection(a: Projection, b: Projection): boolean {
  if (a.size !== b.size) return false;
  for (const [path, file] of a) {
    const other = b.get(path);
    if (!other || other.mode !== file.mode || !other.data.equals(file.data)) return false;
  }
  return true;
}

function topLevelNames(p: Projection): Set<string> {
  return new Set([...p.keys()].map((path) => path.split('/')[0] ?? path));
}

/** Makes `dir` show exactly `payload`, atomically. Returns false when it already did. */
export async function writeAtomically(dir: string, payload: Projection): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const old = await currentProjection(dir);
  if (old && sameProjection(old, payload)) return false;
  const oldTarget = old ? await readlink(join(dir, DATA_LINK)) : undefined;

  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  for (const [path, file] of payload) {
    const full = join(dir, stamp, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, file.data);
    await chmod(full, file.mode);
  }
  if (payload.size === 0) await mkdir(join(dir, stamp), { recursive: true });
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(stamp, tmpLink);
  await rename(tmpLink, join(dir, DATA_LINK));

  const wanted = topLevelNames(payload);
  for (const name of wanted) {
    const link = join(dir, name);
    if (!(await exists(link))) await symlink(posix.join(DATA_LINK, name), link);
  }
  if (old) {
    for (const name of topLevelNames(old)) if (!wanted.has(name)) await rm(join(dir, name), { force: true });
  }
  if (oldTarget) await rm(join(dir, oldTarget), { recursive: true, force: true });
  return true;
}

export class PodVolumes {
  constructor(private readonly rootDir: string) {}

  podDir(uid: string): string {
    return join(this.rootDir, 'pods', uid);
  }

  /**
   * Makes every volume of the pod ready (and ConfigMap/Secret content current). Throws PodSetupError
   * when a referenced object is missing or a hostPath does not match its type.
   * `changed` lists the volumes whose projected content was rewritten.
   */
  async prepare(
    pod: Pod,
    lookup: ObjectLookup,
  ): Promise<{ paths: Map<string, VolumePath>; changed: string[] }> {
    const uid = pod.metadata.uid ?? '';
    const ns = pod.metadata.namespace ?? 'default';
    const paths = new Map<string, VolumePath>();
    const changed: string[] = [];
    for (const volume of pod.spec.volumes ?? []) {
      const result = await this.prepareVolume(uid, ns, volume, lookup);
      if (!result) continue;
      paths.set(volume.name, result.path);
      if (result.changed) changed.push(volume.name);
    }
    return { paths, changed };
  }

  private async prepareVolume(
    uid: string,
    ns: string,
    volume: Volume,
    lookup: ObjectLookup,
  ): Promise<{ path: VolumePath; changed: boolean } | undefined> {
    const dirFor = (kind: string) => join(this.podDir(uid), 'volumes', kind, volume.name);
    if (volume.emptyDir) {
      // medium: Memory is served from disk here too (a per-container tmpfs could not be shared).
      const dir = dirFor('empty-dir');
      await mkdir(dir, { recursive: true, mode: 0o777 });
      await chmod(dir, 0o777);
      return { path: { hostPath: dir, readOnly: false }, changed: false };
    }
    if (volume.hostPath) {
      await checkHostPath(volume.hostPath.path, volume.hostPath.type ?? '');
      return { path: { hostPath: volume.hostPath.path, readOnly: false }, changed: false };
    }
    if (volume.configMap) {
      const src = volume.configMap;
      const cm = lookup.configMap(ns, src.name);
      if (!cm && !src.optional) throw new PodSetupError('FailedMount', `configmap "${src.name}" not found`);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(v, 'utf8');
      for (const [k, v] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
      const payload = projectKeys(
        data,
        src.items,
        src.defaultMode ?? 0o644,
        `ConfigMap ${ns}/${src.name}`,
        src.optional ?? false,
      );
      const dir = dirFor('configmap');
      const changed = await writeAtomically(dir, payload);
      return { path: { hostPath: dir, readOnly: true }, changed };
    }
    if (volume.secret) {
      const src = volume.secret;
      const secret = lookup.secret(ns, src.secretName);
      if (!secret && !src.optional)
        throw new PodSetupError('FailedMount', `secret "${src.secretName}" not found`);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(secret?.data ?? {})) data[k] = Buffer.from(v, 'base64');
      for (const [k, v] of Object.entries(secret?.stringData ?? {})) data[k] = Buffer.from(v, 'utf8');
      const payload = projectKeys(
        data,
        src.items,
        src.defaultMode ?? 0o644,
        `Secret ${ns}/${src.secretName}`,
        src.optional ?? false,
      );
      const dir = dirFor('secret');
      const changed = await writeAtomically(dir, payload);
      return { path: { hostPath: dir, readOnly: true }, changed };
    }
    return undefined; // unsupported volume types are rejected by nothing here: their mounts fail in translate
  }

  /** Removes the pod's folder (its emptyDirs and projections; never hostPaths). */
  async cleanup(uid: string): Promise<void> {
    if (!uid || uid.includes('/') || uid.includes('..')) return;
    await rm(this.podDir(uid), { recursive: true, force: true });
  }

  /** Pod folders present on disk (to clean those of pods that are gone). */
  async podUids(): Promise<string[]> {
    try {
      return await readdir(join(this.rootDir, 'pods'));
    } catch {
      return [];
    }
  }
}

async function checkHostPath(path: string, type: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!info) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!info.isDirectory())
        throw new PodSetupError('FailedMount', `hostPath ${path} exists and is not a directory`);
      return;
    case 'Directory':
      if (!info?.isDirectory())
        throw new PodSetupError('FailedMount', `hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!info) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, '', { mode: 0o644 });
      } else if (!info.isFile())
        throw new PodSetupError('FailedMount', `hostPath ${path} exists and is not a file`);
      return;
    case 'File':
      if (!info?.isFile())
        throw new PodSetupError('FailedMount', `hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!info?.isSocket())
        throw new PodSetupError('FailedMount', `hostPath type check failed: ${path} is not a socket`);
      return;
    case 'CharDevice':
      if (!info?.isCharacterDevice())
        throw new PodSetupError(
          'FailedMount',
          `hostPath type check failed: ${path} is not a character device`,
        );
      return;
    case 'BlockDevice':
      if (!info?.isBlockDevice())
        throw new PodSetupError('FailedMount', `hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new PodSetupError('FailedMount', `unsupported hostPath type "${type}"`);
  }
}
