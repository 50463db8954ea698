import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { KubeconfigError, loadKubeconfig, parseKubeconfig } from './kubeconfig';

const b64 = (s: string) => Buffer.from(s).toString('base64');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-kc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = (
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {
    server: 'https://127.0.0.1:6443',
    'certificate-authority-data': b64('CA'),
  },
) =>
  YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [
      { name: 'main', context: { cluster: 'c', user: 'u', namespace: 'team' } },
      { name: 'other', context: { cluster: 'c', user: 'u' } },
    ],
    'current-context': 'main',
  });

describe('kubeconfig', () => {
  it('reads inline certificates from the current context', async () => {
    const conn = await parseKubeconfig(
      config({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }),
      'x',
    );
    expect(conn).toEqual({
      server: 'https://127.0.0.1:6443',
      caPem: 'CA',
      certPem: 'CERT',
      keyPem: 'KEY',
      namespace: 'team',
      contextName: 'main',
    });
  });

  it('reads file references relative to the kubeconfig and tokens', async () => {
    await writeFile(join(dir, 'ca.pem'), 'CA-FILE');
    await writeFile(join(dir, 'token'), 'tok\n');
    const file = join(dir, 'config');
    await writeFile(
      file,
      config({ tokenFile: 'token' }, { server: 'https://h:1', 'certificate-authority': 'ca.pem' }),
    );
    const conn = await loadKubeconfig(file, { context: 'other' });
    expect(conn).toMatchObject({
      caPem: 'CA-FILE',
      token: 'tok',
      namespace: 'default',
      contextName: 'other',
    });
  });

  it('reports a missing context as a typed error', async () => {
    const err = await parseKubeconfig(config({}), 'f', { context: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeconfigError);
    expect((err as KubeconfigError).code).toBe('KubeconfigInvalid');
  });
});
