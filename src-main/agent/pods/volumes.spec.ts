import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePod } from './testing';
import type { ObjectLookup, Secret } from './types';
import { PodVolumes, writeAtomically } from './volumes';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-vol-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic projection', () => {
  it('swaps content through the ..data link, keeps the folder, removes stale names', async () => {
    const target = join(dir, 'v');
    const file = (s: string) => ({ data: Buffer.from(s), mode: 0o644 });
    expect(
      await writeAtomically(
        target,
        new Map([
          ['a', file('1')],
          ['sub/b', file('2')],
        ]),
      ),
    ).toBe(true);
    const before = await stat(target);
    expect(await readFile(join(target, 'a'), 'utf8')).toBe('1');
    expect(await readFile(join(target, 'sub/b'), 'utf8')).toBe('2');
    expect((await lstat(join(target, 'a'))).isSymbolicLink()).toBe(true);
    const firstData = await readlink(join(target, '..data'));

    expect(
      await writeAtomically(
        target,
        new Map([
          ['a', file('1')],
          ['sub/b', file('2')],
        ]),
      ),
    ).toBe(false);
    expect(
      await writeAtomically(
        target,
        new Map([
          ['a', file('changed')],
          ['c', { data: Buffer.from('3'), mode: 0o600 }],
        ]),
      ),
    ).toBe(true);
    expect(await readFile(join(target, 'a'), 'utf8')).toBe('changed');
    expect(((await stat(join(target, 'c'))).mode & 0o777).toString(8)).toBe('600');
    expect((await readdir(target)).sort()).toEqual(
      ['..data', await readlink(join(target, '..data')), 'a', 'c'].sort(),
    );
    expect(await readlink(join(target, '..data'))).not.toBe(firstData);
    // Same folder (inode): a bind mount of it sees the new content.
    expect((await stat(target)).ino).toBe(before.ino);
  });
});

describe('pod volumes', () => {
  const secret: Secret = { metadata: { name: 's' }, data: { token: Buffer.from('abc').toString('base64') } };
  const lookup: ObjectLookup = {
    configMap: () => undefined,
    secret: (_ns, name) => (name === 's' ? secret : undefined),
  };

  it('prepares emptyDir, secret items, hostPath DirectoryOrCreate; cleans up the pod folder', async () => {
    const volumes = new PodVolumes(join(dir, 'root'));
    const hostDir = join(dir, 'host', 'made');
    const pod = makePod('p', [{}], {
      volumes: [
        { name: 'scratch', emptyDir: {} },
        {
          name: 'sec',
          secret: { secretName: 's', items: [{ key: 'token', path: 'auth/token', mode: 0o400 }] },
        },
        { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
      ],
    });
    const { paths } = await volumes.prepare(pod, lookup);
    expect(paths.get('scratch')?.readOnly).toBe(false);
    expect(await readFile(join(paths.get('sec')!.hostPath, 'auth/token'), 'utf8')).toBe('abc');
    expect(paths.get('sec')?.readOnly).toBe(true);
    expect(paths.get('host')?.hostPath).toBe(hostDir);
    expect((await stat(hostDir)).isDirectory()).toBe(true);
    expect(await volumes.podUids()).toEqual(['uid-p']);
    await volumes.cleanup('uid-p');
    expect(await volumes.podUids()).toEqual([]);
    expect((await stat(hostDir)).isDirectory()).toBe(true); // hostPaths are never removed
  });

  it('fails with FailedMount for a missing secret, a missing item key, or a hostPath of the wrong type', async () => {
    const volumes = new PodVolumes(join(dir, 'root'));
    await expect(
      volumes.prepare(
        makePod('p', [{}], { volumes: [{ name: 'v', secret: { secretName: 'none' } }] }),
        lookup,
      ),
    ).rejects.toThrow('secret "none" not found');
    await expect(
      volumes.prepare(
        makePod('p', [{}], {
          volumes: [{ name: 'v', secret: { secretName: 's', items: [{ key: 'nope', path: 'x' }] } }],
        }),
        lookup,
      ),
    ).rejects.toThrow('configuration key "nope" not found');
    await expect(
      volumes.prepare(
        makePod('p', [{}], {
          volumes: [{ name: 'v', hostPath: { path: join(dir, 'absent'), type: 'Directory' } }],
        }),
        lookup,
      ),
    ).rejects.toThrow('is not a directory');
    // optional: an absent secret gives an empty volume
    const { paths } = await volumes.prepare(
      makePod('p', [{}], { volumes: [{ name: 'v', secret: { secretName: 'none', optional: true } }] }),
      lookup,
    );
    expect(paths.has('v')).toBe(true);
  });
});
