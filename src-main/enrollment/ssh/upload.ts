// Putting files on a machine over SFTP: every file is written under a temporary name next to its
// destination, its sha256 checked on the machine, and only then renamed into place (rename(2) is
// atomic within a folder, so a reader sees the old file or the new one, never half of one). Agent
// releases go into versioned folders and a `current` link is switched atomically, so an upgrade
// replaces the running version in one step and a failed upload leaves the old one untouched.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SshConnection } from './connection';
import { ChecksumMismatch, SshError } from './errors';
import { posixBasename, posixDirname, shellQuote } from './shell';

export type UploadSource = { data: Buffer } | { path: string };

export interface UploadOptions {
  /** File mode on the machine (default 0o644). */
  mode?: number;
  /** Write through sudo (default: the connection's target setting). */
  sudo?: boolean;
  /** Re-upload even when the destination already has the same checksum. */
  force?: boolean;
}

export interface UploadResult {
  remotePath: string;
  sha256: string;
  bytes: number;
  /** false when the destination already held exactly this content (nothing was sent). */
  uploaded: boolean;
}

async function digest(source: UploadSource): Promise<{ sha256: string; bytes: number }> {
  if ('data' in source) {
    return { sha256: createHash('sha256').update(source.data).digest('hex'), bytes: source.data.length };
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(source.path)) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), bytes: (await stat(source.path)).size };
}

async function sftpWrite(
  conn: SshConnection,
  source: UploadSource,
  remotePath: string,
  mode: number,
): Promise<void> {
  const sftp = await conn.sftp();
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) =>
      err
        ? reject(
            new SshError(
              'UploadFailed',
              `${conn.name}: writing ${remotePath} failed: ${err.message}`,
              conn.name,
            ),
          )
        : resolve();
    if ('data' in source) sftp.writeFile(remotePath, source.data, { mode }, done);
    else sftp.fastPut(source.path, remotePath, { mode }, done);
  });
}

/** The sha256 of a remote file, or undefined when it does not exist. */
export async function remoteSha256(
  conn: SshConnection,
  path: string,
  sudo?: boolean,
): Promise<string | undefined> {
  const r = await conn.exec(`[ -f ${shellQuote(path)} ] && sha256sum ${shellQuote(path)}`, { sudo });
  if (r.code !== 0) return undefined;
  return r.stdout.trim().split(/\s+/)[0];
}

/** Uploads one file to `remotePath` with a checksum check and an atomic rename. Idempotent. */
export async function uploadFile(
  conn: SshConnection,
  source: UploadSource,
  remotePath: string,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const mode = options.mode ?? 0o644;
  const sudo = options.sudo ?? (conn.target.sudo === true && conn.target.user !== 'root');
  const { sha256, bytes } = await digest(source);
  if (!options.force && (await remoteSha256(conn, remotePath, sudo)) === sha256) {
    return { remotePath, sha256, bytes, uploaded: false };
  }
  const dir = posixDirname(remotePath);
  const temp = `${dir}/.${posixBasename(remotePath)}${SshConnection.tempSuffix()}`;
  const modeText = mode.toString(8);
  // Without sudo SFTP writes the temporary file in place. With sudo SFTP (running as the user) cannot
  // write there, so the file is staged in a private folder the user owns and moved over by root.
  let staged = temp;
  let stageDir: string | undefined;
  if (sudo) {
    stageDir = (await conn.run('mktemp -d', { sudo: false })).trim();
    staged = `${stageDir}/${posixBasename(remotePath)}`;
  } else {
    await conn.run(`mkdir -p ${shellQuote(dir)}`);
  }
  try {
    await sftpWrite(conn, source, staged, mode);
    if (sudo) {
      await conn.run(
        `mkdir -p ${shellQuote(dir)} && mv -f ${shellQuote(staged)} ${shellQuote(temp)} && chown 0:0 ${shellQuote(temp)}`,
        { sudo: true },
      );
    }
    await conn.run(`chmod ${modeText} ${shellQuote(temp)}`, { sudo });
    const actual = await remoteSha256(conn, temp, sudo);
    if (actual !== sha256) throw new ChecksumMismatch(conn.name, remotePath, sha256, actual ?? '(missing)');
    await conn.run(`mv -f ${shellQuote(temp)} ${shellQuote(remotePath)}`, { sudo });
  } catch (err) {
    await conn.exec(`rm -f ${shellQuote(temp)}`, { sudo }).catch(() => undefined);
    throw err;
  } finally {
    if (stageDir) await conn.exec(`rm -rf ${shellQuote(stageDir)}`, { sudo: false }).catch(() => undefined);
  }
  return { remotePath, sha256, bytes, uploaded: true };
}

export interface ReleaseFile {
  name: string;
  source: UploadSource;
  mode?: number;
}

export interface InstallReleaseOptions {
  /** e.g. /opt/flotilla: releases go to BASE/versions/VERSION, the link is BASE/current. */
  baseDir: string;
  version: string;
  files: ReleaseFile[];
  sudo?: boolean;
}

export interface InstallReleaseResult {
  versionDir: string;
  currentLink: string;
  files: UploadResult[];
  /** true when `current` pointed elsewhere before. */
  switched: boolean;
}

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Uploads a release into its versioned folder, then points BASE/current at it with an atomic
 * rename of a fresh symlink. Re-running with the same release uploads nothing.
 */
export async function installRelease(
  conn: SshConnection,
  options: InstallReleaseOptions,
): Promise<InstallReleaseResult> {
  if (!VERSION.test(options.version))
    throw new Error(`invalid release version ${JSON.stringify(options.version)}`);
  const versionDir = `${options.baseDir}/versions/${options.version}`;
  const files: UploadResult[] = [];
  for (const f of options.files) {
    if (f.name.includes('/') || f.name.startsWith('.'))
      throw new Error(`invalid release file name ${f.name}`);
    files.push(
      await uploadFile(conn, f.source, `${versionDir}/${f.name}`, {
        ...(f.mode !== undefined ? { mode: f.mode } : {}),
        ...(options.sudo !== undefined ? { sudo: options.sudo } : {}),
      }),
    );
  }
  const currentLink = `${options.baseDir}/current`;
  const target = `versions/${options.version}`;
  const tmpLink = `${options.baseDir}/.current${SshConnection.tempSuffix()}`;
  const out = await conn.run(
    `old=$(readlink ${shellQuote(currentLink)} || true); ` +
      `ln -s ${shellQuote(target)} ${shellQuote(tmpLink)} && mv -Tf ${shellQuote(tmpLink)} ${shellQuote(currentLink)} && echo "$old"`,
    options.sudo !== undefined ? { sudo: options.sudo } : {},
  );
  return { versionDir, currentLink, files, switched: out.trim() !== target };
}
