// The image the agent runs in on a Docker node. There is no registry to pull a `node` image from, so
// it is made here from this machine's own programs: the Node.js binary, the iptables tools (the
// service proxy's) and iproute2's `ip` and `bridge` (the pod routes'), plus every shared library `ldd` says they load, and iptables' extension modules.
// `docker import` of that folder gives a ~100 MB image with no shell and nothing else. The agent
// bundle itself is not in the image: it sits in the node's config dir, so upgrading the agent is a
// file copy and a restart. The tag is a hash of what went in, so a changed binary makes a new image.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Engine } from './engine';
import { followProgress, isNotFound } from './engine';
import { EnrollmentError } from './errors';

const run = promisify(execFile);

export const AGENT_IMAGE_REPO = 'flotilla.local/agent-runtime';
/** Where node lives in the image. */
export const IMAGE_NODE = '/usr/local/bin/node';
export const IMAGE_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Host programs the agent runs: the service proxy's iptables tools and the pod routes' iproute2. */
const HOST_TOOLS = ['iptables', 'iptables-save', 'iptables-restore', 'ip', 'bridge'];
const XTABLES_DIRS = [
  '/usr/lib/x86_64-linux-gnu/xtables',
  '/usr/lib/aarch64-linux-gnu/xtables',
  '/usr/lib64/xtables',
  '/usr/lib/xtables',
  '/lib/xtables',
];
const ETC_FILES = ['/etc/protocols', '/etc/services', '/etc/ethertypes', '/etc/nsswitch.conf'];

/** One file to put in the image: `at` in the image, content from `from` on this machine. */
interface Entry {
  at: string;
  from?: string;
  link?: string;
}

export interface RuntimeImageOptions {
  nodeBinary?: string;
  log?: (line: string) => void;
}

// Collecting the files runs ldd on each binary (about a second). They change only when the host's
// packages do, and then their sizes and mtimes change the tag (contentTag stats them every time),
// so the list is collected once per process.
const entriesCache = new Map<string, Promise<Entry[]>>();
function cachedRuntimeEntries(nodeBinary: string): Promise<Entry[]> {
  let entries = entriesCache.get(nodeBinary);
  if (!entries) {
    entries = runtimeEntries(nodeBinary);
    entriesCache.set(nodeBinary, entries);
    entries.catch(() => entriesCache.delete(nodeBinary));
  }
  return entries;
}

/** The image tag, building and importing the image first if the engine does not have it. */
export async function ensureRuntimeImage(engine: Engine, options: RuntimeImageOptions = {}): Promise<string> {
  const log = options.log ?? (() => {});
  if (process.platform !== 'linux')
    throw new EnrollmentError(
      'ImageBuildFailed',
      "the agent runtime image is made from this machine's binaries, which needs Linux",
    );
  let entries: Entry[];
  try {
    entries = await cachedRuntimeEntries(options.nodeBinary ?? process.execPath);
  } catch (err) {
    throw new EnrollmentError(
      'ImageBuildFailed',
      `cannot collect the agent runtime's files: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const tag = `${AGENT_IMAGE_REPO}:${await contentTag(entries)}`;
  try {
    await engine.docker.getImage(tag).inspect();
    return tag;
  } catch (err) {
    if (!isNotFound(err))
      throw new EnrollmentError(
        'EngineUnreachable',
        `cannot inspect image ${tag}: ${(err as Error).message}`,
        { cause: err },
      );
  }
  log(`making the agent runtime image ${tag} (node, iptables, iproute2 and their libraries)`);
  const dir = await mkdtemp(path.join(tmpdir(), 'flotilla-agent-rootfs-'));
  try {
    await assemble(dir, entries);
    const tar = spawn('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-c', '.'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => tar.on('close', (c) => resolve(c ?? -1)));
    const [repo, version] = tag.split(':') as [string, string];
    const stream = await engine.docker.importImage(tar.stdout, { repo, tag: version });
    await followProgress(engine.docker, stream);
    const code = await exited;
    if (code !== 0) throw new Error(`tar failed (${code}): ${stderr.trim()}`);
    return tag;
  } catch (err) {
    if (err instanceof EnrollmentError) throw err;
    throw new EnrollmentError(
      'ImageBuildFailed',
      `cannot make the agent runtime image: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every file of the image: node, the host tools and iptables modules, their libraries, a few /etc files. */
export async function runtimeEntries(nodeBinary: string): Promise<Entry[]> {
  const entries = new Map<string, Entry>();
  const add = (e: Entry) => entries.set(e.at, e);
  const binaries = [await realpath(nodeBinary)];
  add({ at: IMAGE_NODE, from: binaries[0]! });
  for (const tool of HOST_TOOLS) {
    const found = await which(tool);
    if (!found) continue; // a machine without one gets an agent that reports it where it is needed
    const real = await realpath(found);
    // Multi-call binaries (xtables-nft-multi) pick their role from the name they are called by.
    if (path.basename(real) === tool) {
      add({ at: `/usr/sbin/${tool}`, from: real });
    } else {
      add({ at: real, from: real });
      add({ at: `/usr/sbin/${tool}`, link: real });
    }
    binaries.push(real);
  }
  for (const dir of XTABLES_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.so')) continue;
      const file = path.join(dir, name);
      add({ at: file, from: await realpath(file) });
      binaries.push(file);
    }
  }
  for (const lib of await sharedLibraries(binaries)) add({ at: lib, from: await realpath(lib) });
  for (const file of ETC_FILES) if (existsSync(file)) add({ at: file, from: await realpath(file) });
  return [...entries.values()].sort((a, b) => a.at.localeCompare(b.at));
}

/** The absolute library paths `ldd` lists for these files (the dynamic loader included). */
export async function sharedLibraries(files: string[]): Promise<string[]> {
  const libs = new Set<string>();
  // ldd prints "file:" headers when given several files; fine, we only take absolute paths.
  for (let i = 0; i < files.length; i += 50) {
    let out: string;
    try {
      out = (await run('ldd', files.slice(i, i + 50), { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (err) {
      // ldd exits non-zero when one file is static; its output for the others is still there.
      out = (err as { stdout?: string }).stdout ?? '';
    }
    for (const line of out.split('\n')) {
      const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s+(\/\S+)\s+\(/.exec(line);
      if (m) libs.add(m[1]!);
    }
  }
  return [...libs].sort();
}

async function which(tool: string): Promise<string | undefined> {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin']) {
    const p = path.join(dir, tool);
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function contentTag(entries: Entry[]): Promise<string> {
  const h = createHash('sha256');
  for (const e of entries) {
    h.update(`${e.at}\0${e.link ?? ''}\0`);
    if (e.from) {
      const s = await stat(e.from);
      h.update(`${e.from}\0${s.size}\0${s.mtimeMs}\0`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

async function assemble(dir: string, entries: Entry[]): Promise<void> {
  for (const d of ['tmp', 'run', 'proc', 'sys', 'dev', 'etc', 'host'])
    await mkdir(path.join(dir, d), { recursive: true });
  await chmod(path.join(dir, 'tmp'), 0o1777);
  for (const e of entries) {
    const target = path.join(dir, e.at);
    await mkdir(path.dirname(target), { recursive: true });
    if (e.link) {
      await symlink(e.link, target);
    } else if (e.from) {
      await copyFile(e.from, target);
      await chmod(target, (await stat(e.from)).mode & 0o7777);
    }
  }
}
