import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../../control-plane/apiserver/pki';
import { createFakeKubeApi } from '../../shared/kube/testing';
import type { KubeObjectLike } from '../../shared/kube/types';
import { resourceFor } from '../../shared/resources';
import { ensureMachineFiles, machineDir } from './node-files';
import { REMOTE_LAYOUT } from './remote';

const SECRETS = resourceFor('', 'secrets');
const NODES = resourceFor('', 'nodes');
type Secret = KubeObjectLike & { stringData?: Record<string, string>; data?: Record<string, string> };

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'flotilla-node-files-'));
  await ensurePki(dataDir);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The fake API keeps stringData as sent; the real one folds it into base64 data, which is what is read back. */
function foldStringData(api: ReturnType<typeof createFakeKubeApi>): void {
  for (const s of api.objects<Secret>(SECRETS, 'kube-system')) {
    if (!s.stringData) continue;
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(v).toString('base64');
    api.seed(SECRETS, { ...s, data, stringData: undefined });
  }
}

describe('SSH machine files', () => {
  const base = () => ({
    dataDir,
    machineName: 'vm1',
    nodeName: 'ssh-vm1',
    apiServer: 'https://10.0.0.1:6443',
    address: '10.0.0.5',
    layout: REMOTE_LAYOUT,
  });

  it('ship a single-use token bound to the node, and no client key', async () => {
    const api = createFakeKubeApi();
    const files = await ensureMachineFiles({ ...base(), api });
    expect(Object.keys(files).sort()).toEqual(['ca.crt', 'config.json', 'serving.crt', 'serving.key']);
    const config = JSON.parse(files['config.json']!.toString()) as Record<string, unknown>;
    expect(config.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(config).not.toHaveProperty('clientKeyFile');
    const [secret] = api.objects<Secret>(SECRETS, 'kube-system');
    const id = (config.bootstrapToken as string).slice(0, 6);
    expect(secret).toMatchObject({
      type: 'bootstrap.kubernetes.io/token',
      metadata: {
        name: `bootstrap-token-${id}`,
        annotations: { 'flotilla.dev/bootstrap-node-name': 'ssh-vm1' },
      },
      stringData: { 'token-id': id, 'usage-bootstrap-authentication': 'true' },
    });
    const ttl = Date.parse(secret!.stringData!.expiration!) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    expect(await readdir(machineDir(dataDir, 'vm1'))).not.toContain('client.key');
  });

  it('are reused unchanged while the token is good, or once the node has its certificate', async () => {
    const api = createFakeKubeApi();
    const first = await ensureMachineFiles({ ...base(), machineName: 'vm2', api });
    foldStringData(api);
    const again = await ensureMachineFiles({ ...base(), machineName: 'vm2', api });
    expect(again['config.json']!.equals(first['config.json']!)).toBe(true);
    expect(api.objects(SECRETS, 'kube-system')).toHaveLength(1);

    // Spent (the Secret is gone) and the node registered: the release stays as it is.
    for (const s of api.objects<Secret>(SECRETS, 'kube-system'))
      await api.delete(SECRETS, s.metadata?.name ?? '', 'kube-system');
    api.seed(NODES, { metadata: { name: 'ssh-vm1' } });
    const spent = await ensureMachineFiles({ ...base(), machineName: 'vm2', api });
    expect(spent['config.json']!.equals(first['config.json']!)).toBe(true);
    expect(api.objects(SECRETS, 'kube-system')).toHaveLength(0);
  });

  it('get a new token when the old one expired unused, and the old Secret goes', async () => {
    let now = new Date();
    const api = createFakeKubeApi();
    const first = await ensureMachineFiles({ ...base(), machineName: 'vm3', api, now: () => now });
    foldStringData(api);
    now = new Date(now.getTime() + 16 * 60_000);
    const second = await ensureMachineFiles({ ...base(), machineName: 'vm3', api, now: () => now });
    const token = (f: Record<string, Buffer>) =>
      (JSON.parse(f['config.json']!.toString()) as { bootstrapToken: string }).bootstrapToken;
    expect(token(second)).not.toBe(token(first));
    // Same machine, same address: the serving certificate is kept.
    expect(second['serving.crt']!.equals(first['serving.crt']!)).toBe(true);
    expect(api.objects<Secret>(SECRETS, 'kube-system').map((s) => s.metadata?.name)).toEqual([
      `bootstrap-token-${token(second).slice(0, 6)}`,
    ]);
  });
});
