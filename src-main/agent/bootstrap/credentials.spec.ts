import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pki } from '../../control-plane/apiserver/pki';
import { ensurePki, issueClientCertificate, nodeIdentity } from '../../control-plane/apiserver/pki';
import type { AgentSettings } from '../config';
import { AgentConfigError, parseAgentSettings } from '../config';
import { credentialPaths, credentialProblem, ensureClientCredentials, storeCredentials } from './credentials';

let dir: string;
let pki: Pki;
let other: Pki;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flotilla-agent-creds-'));
  pki = await ensurePki(path.join(dir, 'ours'));
  other = await ensurePki(path.join(dir, 'other'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function settings(rootDir: string, extra: Record<string, unknown> = {}): AgentSettings {
  return parseAgentSettings({
    apiServer: 'https://127.0.0.1:1',
    nodeName: 'n1',
    caPem: pki.caPem,
    servingCertPem: pki.caPem,
    servingKeyPem: pki.caPem,
    rootDir,
    ...extra,
  });
}

const asCreds = (c: { certPem: string; keyPem: string }) => ({
  clientCertPem: c.certPem,
  clientKeyPem: c.keyPem,
});

describe('the node client identity', () => {
  it('is taken from the config when it has one', async () => {
    const cert = asCreds(await issueClientCertificate(pki.ca, nodeIdentity('n1')));
    const config = await ensureClientCredentials(settings(path.join(dir, 'a'), cert));
    expect(config.clientCertPem).toBe(cert.clientCertPem);
  });

  it('reuses a stored certificate (written 0600) while it is valid for this node and CA', async () => {
    const root = path.join(dir, 'b');
    const cert = asCreds(await issueClientCertificate(pki.ca, nodeIdentity('n1')));
    await storeCredentials(root, cert);
    for (const f of [credentialPaths(root).cert, credentialPaths(root).key])
      expect((await stat(f)).mode & 0o777).toBe(0o600);
    // The token is not needed (and would fail: nothing listens on port 1).
    const config = await ensureClientCredentials(
      settings(root, { bootstrapToken: 'abcdef.0123456789abcdef' }),
    );
    expect(config.clientKeyPem).toBe(cert.clientKeyPem);
  });

  it('says why a stored certificate cannot be used', async () => {
    const now = new Date();
    const good = await issueClientCertificate(pki.ca, nodeIdentity('n1'));
    expect(credentialProblem(asCreds(good), 'n1', pki.caPem, now)).toBeUndefined();
    expect(credentialProblem(asCreds(good), 'n2', pki.caPem, now)).toMatch(/not to node n2/);
    const foreign = await issueClientCertificate(other.ca, nodeIdentity('n1'));
    expect(credentialProblem(asCreds(foreign), 'n1', pki.caPem, now)).toMatch(/cluster CA/);
    const expired = await issueClientCertificate(pki.ca, {
      ...nodeIdentity('n1'),
      days: 1,
      now: new Date(now.getTime() - 3 * 86400_000),
    });
    expect(credentialProblem(asCreds(expired), 'n1', pki.caPem, now)).toMatch(/expired/);
    const otherKey = await issueClientCertificate(pki.ca, nodeIdentity('n1'));
    expect(
      credentialProblem({ clientCertPem: good.certPem, clientKeyPem: otherKey.keyPem }, 'n1', pki.caPem, now),
    ).toMatch(/key/);
  });

  it('without a certificate or a token is a configuration error naming the field', async () => {
    expect(() => settings(path.join(dir, 'c'))).toThrow(/clientCertPem: required/);
    const { bootstrapToken: _none, ...noToken } = settings(path.join(dir, 'c'), {
      bootstrapToken: 'abcdef.0123456789abcdef',
    });
    const err = await ensureClientCredentials(noToken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConfigError);
    expect((err as AgentConfigError).code).toBe('ConfigMissing');
    expect((err as AgentConfigError).field).toBe('clientCertPem');
  });

  it('accepts only a well-formed bootstrap token in the config', () => {
    expect(settings(path.join(dir, 'd'), { bootstrapToken: 'abcdef.0123456789abcdef' }).bootstrapToken).toBe(
      'abcdef.0123456789abcdef',
    );
    expect(() => settings(path.join(dir, 'd'), { bootstrapToken: 'abc.def' })).toThrow(/bootstrapToken/);
  });
});
