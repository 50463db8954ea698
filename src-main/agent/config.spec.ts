import { describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgentCommandLine, parseAgentConfig } from './config';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const inline = {
  apiServer: 'https://10.0.0.1:6443/',
  nodeName: 'worker-1',
  caPem: PEM,
  clientCertPem: PEM,
  clientKeyPem: PEM,
  servingCertPem: PEM,
  servingKeyPem: PEM,
};

function errorOf(fn: () => unknown): AgentConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AgentConfigError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('agent configuration', () => {
  it('fills in the defaults', () => {
    const c = parseAgentConfig(inline);
    expect(c).toMatchObject({
      apiServer: 'https://10.0.0.1:6443',
      nodeName: 'worker-1',
      listenAddress: '0.0.0.0',
      port: 10250,
      rootDir: '/var/lib/flotilla-agent',
      networkName: 'flotilla-pods',
      bridgeName: 'flotilla0',
      clusterCIDR: '10.244.0.0/16',
      proxy: { enabled: true, chainPrefix: 'FLOTILLA', masqueradeBit: 14 },
      labels: {},
      taints: [],
      hostRoot: '/',
    });
    expect(c.dockerHost).toBeUndefined();
    expect(c.nodeIP).toBeUndefined();
  });

  it('reads PEM files relative to the config file’s folder', () => {
    const files: Record<string, string> = {
      '/etc/flotilla/ca.crt': PEM,
      '/etc/flotilla/node.crt': PEM,
      '/etc/flotilla/node.key': PEM.replace('CERTIFICATE', 'PRIVATE KEY'),
      '/abs/serving.crt': PEM,
      '/etc/flotilla/serving.key': PEM,
    };
    const readFile = (p: string) => {
      const text = files[p];
      if (text === undefined) throw new Error(`ENOENT ${p}`);
      return text;
    };
    const c = parseAgentConfig(
      {
        apiServer: 'https://cp:6443',
        nodeName: 'n1',
        caFile: 'ca.crt',
        clientCertFile: 'node.crt',
        clientKeyFile: './node.key',
        servingCertFile: '/abs/serving.crt',
        servingKeyFile: 'serving.key',
        rootDir: 'state',
      },
      { baseDir: '/etc/flotilla', readFile },
    );
    expect(c.clientKeyPem).toContain('PRIVATE KEY');
    expect(c.rootDir).toBe('/etc/flotilla/state');
    const missing = errorOf(() =>
      parseAgentConfig(
        { ...inline, caPem: undefined, caFile: 'nope.crt' },
        { baseDir: '/etc/flotilla', readFile },
      ),
    );
    expect(missing.code).toBe('ConfigUnreadable');
    expect(missing.field).toBe('caFile');
  });

  it('names the field at fault', () => {
    expect(errorOf(() => parseAgentConfig({ ...inline, apiServer: undefined })).field).toBe('apiServer');
    expect(errorOf(() => parseAgentConfig({ ...inline, apiServer: 'ftp://x' })).field).toBe('apiServer');
    expect(errorOf(() => parseAgentConfig({ ...inline, nodeName: 'Not_Valid' })).field).toBe('nodeName');
    expect(errorOf(() => parseAgentConfig({ ...inline, bridgeName: 'a-very-long-bridge' })).field).toBe(
      'bridgeName',
    );
    expect(errorOf(() => parseAgentConfig({ ...inline, port: 70000 })).field).toBe('port');
    expect(errorOf(() => parseAgentConfig({ ...inline, clientKeyPem: undefined })).code).toBe(
      'ConfigMissing',
    );
    expect(
      errorOf(() => parseAgentConfig({ ...inline, taints: [{ key: 'k', effect: 'Sometimes' }] })).field,
    ).toBe('taints[0].effect');
    expect(errorOf(() => parseAgentConfig({ ...inline, clusterCIDR: '10.244.0.0' })).field).toBe(
      'clusterCIDR',
    );
    expect(errorOf(() => parseAgentConfig({ ...inline, proxy: { chainPrefix: 'lower' } })).field).toBe(
      'proxy.chainPrefix',
    );
    expect(errorOf(() => parseAgentConfig({ ...inline, labels: { a: 1 } })).field).toBe('labels.a');
  });

  it('takes labels, taints and the proxy settings', () => {
    const c = parseAgentConfig({
      ...inline,
      labels: { zone: 'a' },
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      proxy: { enabled: false },
      dockerHost: 'unix:///run/docker.sock',
    });
    expect(c.labels).toEqual({ zone: 'a' });
    expect(c.taints).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    expect(c.proxy.enabled).toBe(false);
    expect(c.dockerHost).toBe('unix:///run/docker.sock');
  });

  it('lets the environment override the file and flags override both', () => {
    const file = JSON.stringify({ ...inline, port: 10250 });
    const readFile = (p: string) => {
      if (p === '/cfg/config.json') return file;
      throw new Error(`ENOENT ${p}`);
    };
    const env = {
      FLOTILLA_NODE_NAME: 'from-env',
      FLOTILLA_AGENT_PORT: '11000',
      DOCKER_HOST: 'tcp://127.0.0.1:2375',
    };
    const fromEnv = loadAgentCommandLine(['--config', '/cfg/config.json'], env, readFile);
    expect(fromEnv.config).toMatchObject({
      nodeName: 'from-env',
      port: 11000,
      dockerHost: 'tcp://127.0.0.1:2375',
    });
    expect(fromEnv.teardown).toBe(false);
    const fromFlags = loadAgentCommandLine(
      ['--config', '/cfg/config.json', '--node-name', 'from-flag', '--port', '12000', '--teardown'],
      env,
      readFile,
    );
    expect(fromFlags.config).toMatchObject({ nodeName: 'from-flag', port: 12000 });
    expect(fromFlags.teardown).toBe(true);
    const viaEnvPath = loadAgentCommandLine([], { FLOTILLA_AGENT_CONFIG: '/cfg/config.json' }, readFile);
    expect(viaEnvPath.config.nodeName).toBe('worker-1');
    expect(errorOf(() => loadAgentCommandLine(['--bogus'], {}, readFile)).code).toBe('ConfigInvalid');
    expect(errorOf(() => loadAgentCommandLine(['--config', '/nope.json'], {}, readFile)).code).toBe(
      'ConfigUnreadable',
    );
  });
});
