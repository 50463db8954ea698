import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type CertificateAuthority } from '../../control-plane/apiserver/pki/ca';
import { writeNodeFiles, type WriteNodeFilesOptions } from './node-files';

let dir: string;
let ca: CertificateAuthority;
let base: WriteNodeFilesOptions;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-node-files-'));
  ca = await createCertificateAuthority();
  await writeFile(join(dir, 'agent.mjs'), 'console.log("agent v1")\n');
  base = {
    dataDir: dir,
    nodeName: 'n1',
    apiServer: 'https://127.0.0.1:6443',
    ca,
    bundlePath: join(dir, 'agent.mjs'),
    agentDockerHost: 'unix:///var/run/docker.sock',
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cert = (d: string) => readFile(join(d, 'client.crt'), 'utf8');

describe('writeNodeFiles', () => {
  it('keeps the certificates and reports no change when run again with the same config', async () => {
    const first = await writeNodeFiles(base);
    expect(first.changed).toBe(true);
    const issued = await cert(first.dir);
    const again = await writeNodeFiles(base);
    expect(again.changed).toBe(false);
    expect(await cert(again.dir)).toBe(issued);
  });

  it('rewrites the config (and reissues) when the labels change; the Machine labels reach the agent', async () => {
    const before = await cert(join(dir, 'nodes', 'n1'));
    const next = await writeNodeFiles({
      ...base,
      labels: { pool: 'a' },
      taints: [{ key: 'k', effect: 'NoSchedule' }],
    });
    expect(next.changed).toBe(true);
    expect(await cert(next.dir)).not.toBe(before);
    const config = JSON.parse(await readFile(next.configPath, 'utf8')) as Record<string, unknown>;
    expect(config.labels).toEqual({ 'flotilla.dev/transport': 'docker', pool: 'a' });
    expect(config.taints).toEqual([{ key: 'k', effect: 'NoSchedule' }]);
  });

  it('copies a new agent bundle and reports the change', async () => {
    const opts = { ...base, labels: { pool: 'a' }, taints: [{ key: 'k', effect: 'NoSchedule' }] };
    expect((await writeNodeFiles(opts)).changed).toBe(false);
    await writeFile(join(dir, 'agent.mjs'), 'console.log("agent v2")\n');
    const next = await writeNodeFiles(opts);
    expect(next.changed).toBe(true);
    expect(await readFile(join(next.dir, 'agent.mjs'), 'utf8')).toContain('v2');
  });
});
