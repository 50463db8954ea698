import { describe, expect, it } from 'vitest';
import { containerCreateOptions, sandboxCreateOptions } from '../runtime/docker-options';
import { LABEL, refFromLabels } from '../runtime/labels';
import { ContainerStartError } from './errors';
import { expand } from './expansion';
import { makePod } from './testing';
import { containerConfig, containerEnv, containerSpecHash, pullPolicyOf, sandboxConfig } from './translate';
import type { TranslateContext } from './translate';
import type { ConfigMap, ObjectLookup, Secret } from './types';

const configMaps: Record<string, ConfigMap> = {
  settings: { metadata: { name: 'settings' }, data: { MODE: 'fast', LEVEL: '3', 'bad-key': 'x' } },
};
const secrets: Record<string, Secret> = {
  creds: { metadata: { name: 'creds' }, data: { PASSWORD: Buffer.from('s3cret').toString('base64') } },
};
const lookup: ObjectLookup = {
  configMap: (_ns, name) => configMaps[name],
  secret: (_ns, name) => secrets[name],
};

function ctx(extra: Partial<TranslateContext> = {}): TranslateContext {
  return {
    nodeName: 'node-1',
    hostIP: '192.168.1.10',
    podIP: '10.244.0.7',
    lookup,
    volumePaths: new Map([
      ['data', { hostPath: '/var/lib/flotilla/pods/u/volumes/empty-dir/data', readOnly: false }],
      ['cfg', { hostPath: '/var/lib/flotilla/pods/u/volumes/configmap/cfg', readOnly: true }],
    ]),
    ...extra,
  };
}

describe('$(VAR) expansion', () => {
  it('replaces defined references, keeps undefined ones, unescapes $$', () => {
    const vars: Record<string, string> = { A: 'x', B: 'y' };
    const get = (n: string) => vars[n];
    expect(expand('$(A)-$(B)', get)).toBe('x-y');
    expect(expand('$(C) stays', get)).toBe('$(C) stays');
    expect(expand('$$(A) escaped, $$ dollar', get)).toBe('$(A) escaped, $ dollar');
    expect(expand('unclosed $(A', get)).toBe('unclosed $(A');
    expect(expand('plain $HOME', get)).toBe('plain $HOME');
  });
});

describe('environment', () => {
  it('resolves values, fieldRefs, configMap and secret keys, envFrom with prefix, in Kubernetes order', () => {
    const pod = makePod('web', [
      {
        name: 'app',
        envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
        env: [
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
          { name: 'URL', value: 'http://$(POD_IP):80/$(CFG_MODE)' },
          { name: 'CFG_LEVEL', value: 'overridden' },
        ],
      },
    ]);
    const env = Object.fromEntries(
      containerEnv(pod, pod.spec.containers[0]!, ctx()).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      CFG_MODE: 'fast',
      CFG_LEVEL: 'overridden',
      PASSWORD: 's3cret',
      POD_IP: '10.244.0.7',
      NODE: 'node-1',
      NS: 'default',
      NAME: 'web',
      APP: 'web',
      HOST_IP: '192.168.1.10',
      MODE: 'fast',
      PW: 's3cret',
      URL: 'http://10.244.0.7:80/fast',
    });
    // Relaxed variable names (Kubernetes ≥ 1.32 default) accept any ConfigMap key.
    expect(env['CFG_bad-key']).toBe('x');
  });

  it('fails with CreateContainerConfigError for a missing object or key, unless optional', () => {
    const missing = makePod('p', [
      { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] },
    ]);
    expect(() => containerEnv(missing, missing.spec.containers[0]!, ctx())).toThrow(ContainerStartError);
    expect(() => containerEnv(missing, missing.spec.containers[0]!, ctx())).toThrow(
      'configmap "nope" not found',
    );
    const missingKey = makePod('p', [
      { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'USER' } } }] },
    ]);
    expect(() => containerEnv(missingKey, missingKey.spec.containers[0]!, ctx())).toThrow(
      "couldn't find key USER in Secret default/creds",
    );
    const optional = makePod('p', [
      {
        env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }],
        envFrom: [{ secretRef: { name: 'nope', optional: true } }],
      },
    ]);
    expect(containerEnv(optional, optional.spec.containers[0]!, ctx())).toEqual([{ name: 'X', value: '' }]);
  });
});

describe('container config', () => {
  it('maps command/args, workingDir, resources, securityContext and mounts', () => {
    const pod = makePod(
      'web',
      [
        {
          name: 'app',
          command: ['sh', '-c'],
          args: ['echo $(GREETING)'],
          env: [{ name: 'GREETING', value: 'hi' }],
          workingDir: '/work',
          resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } },
          securityContext: { runAsUser: 1000, privileged: true, capabilities: { add: ['NET_ADMIN'] } },
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'cfg', mountPath: '/etc/app' },
            { name: 'data', mountPath: '/sub', subPath: 'a/b', readOnly: true },
          ],
        },
      ],
      { securityContext: { runAsGroup: 2000 } },
    );
    const config = containerConfig(pod, pod.spec.containers[0]!, 'app', 2, ctx());
    expect(config.entrypoint).toEqual(['sh', '-c']);
    expect(config.cmd).toEqual(['echo hi']);
    expect(config.workingDir).toBe('/work');
    expect(config.nanoCpus).toBe(500_000_000);
    expect(config.cpuShares).toBe(256);
    expect(config.memoryBytes).toBe(64 * 1024 * 1024);
    expect(config.user).toBe('1000:2000');
    expect(config.privileged).toBe(true);
    expect(config.capAdd).toEqual(['NET_ADMIN']);
    expect(config.mounts).toEqual([
      {
        hostPath: '/var/lib/flotilla/pods/u/volumes/empty-dir/data',
        containerPath: '/data',
        readOnly: false,
      },
      {
        hostPath: '/var/lib/flotilla/pods/u/volumes/configmap/cfg',
        containerPath: '/etc/app',
        readOnly: true,
      },
      {
        hostPath: '/var/lib/flotilla/pods/u/volumes/empty-dir/data/a/b',
        containerPath: '/sub',
        readOnly: true,
      },
    ]);
    expect(config.ref).toEqual({
      podUid: 'uid-web',
      podName: 'web',
      podNamespace: 'default',
      kind: 'app',
      containerName: 'app',
      attempt: 2,
    });

    const docker = containerCreateOptions(config, { nodeName: 'node-1', sandboxId: 'abc' });
    expect(docker.Entrypoint).toEqual(['sh', '-c']);
    expect(docker.Cmd).toEqual(['echo hi']);
    expect(docker.HostConfig?.NetworkMode).toBe('container:abc');
    expect(docker.HostConfig?.IpcMode).toBe('container:abc');
    expect(docker.HostConfig?.NanoCpus).toBe(500_000_000);
    expect(docker.HostConfig?.Memory).toBe(64 * 1024 * 1024);
    expect(docker.HostConfig?.MemorySwap).toBe(64 * 1024 * 1024);
    expect(docker.HostConfig?.Privileged).toBe(true);
    expect(docker.HostConfig?.Binds).toContain('/var/lib/flotilla/pods/u/volumes/configmap/cfg:/etc/app:ro');
    expect(docker.User).toBe('1000:2000');
    expect(docker.Env).toContain('GREETING=hi');
    expect(refFromLabels(docker.Labels)).toEqual(config.ref);
    expect(docker.Labels?.[LABEL.specHash]).toBe(containerSpecHash(pod.spec.containers[0]!));
  });

  it('keeps the image entrypoint and cmd when neither command nor args is given, and clears cmd for command only', () => {
    const pod = makePod('p', [
      { name: 'a' },
      { name: 'b', command: ['sleep', '1'] },
      { name: 'c', args: ['-x'] },
    ]);
    const [a, b, c] = pod.spec.containers.map((spec) =>
      containerCreateOptions(containerConfig(pod, spec, 'app', 0, ctx()), { nodeName: 'n', sandboxId: 's' }),
    );
    expect(a?.Entrypoint).toBeUndefined();
    expect(a?.Cmd).toBeUndefined();
    expect(b?.Entrypoint).toEqual(['sleep', '1']);
    expect(b?.Cmd).toEqual([]);
    expect(c?.Entrypoint).toBeUndefined();
    expect(c?.Cmd).toEqual(['-x']);
  });

  it('rejects a subPath that leaves the volume and a mount of an unknown volume', () => {
    const escape = makePod('p', [
      { volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '../../etc' }] },
    ]);
    expect(() => containerConfig(escape, escape.spec.containers[0]!, 'app', 0, ctx())).toThrow('subPath');
    const unknown = makePod('p', [{ volumeMounts: [{ name: 'nope', mountPath: '/x' }] }]);
    expect(() => containerConfig(unknown, unknown.spec.containers[0]!, 'app', 0, ctx())).toThrow(
      'volume "nope"',
    );
  });

  it('publishes container ports with hostPort on the sandbox', () => {
    const pod = makePod('p', [
      {
        ports: [
          { containerPort: 80, hostPort: 8080 },
          { containerPort: 53, protocol: 'UDP' },
        ],
      },
    ]);
    const sandbox = sandboxCreateOptions(sandboxConfig(pod, 0), {
      nodeName: 'n',
      image: 'pause',
      networkName: 'net',
      ip: '10.244.0.9',
    });
    expect(sandbox.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(sandbox.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostPort: '8080' }] });
    expect(sandbox.NetworkingConfig?.EndpointsConfig?.net?.IPAMConfig?.IPv4Address).toBe('10.244.0.9');
    expect(sandbox.Hostname).toBe('p');
    expect(refFromLabels(sandbox.Labels)?.kind).toBe('sandbox');
  });

  it('defaults the pull policy like Kubernetes', () => {
    expect(pullPolicyOf({ name: 'a', image: 'busybox' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: 'busybox:latest' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: 'registry:5000/busybox:1' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ name: 'a', image: 'registry:5000/busybox' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: 'busybox@sha256:abc' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ name: 'a', image: 'busybox', imagePullPolicy: 'Never' })).toBe('Never');
  });

  it('hashes the container spec independently of key order', () => {
    expect(containerSpecHash({ name: 'a', image: 'x', args: ['1'] })).toBe(
      containerSpecHash({ args: ['1'], image: 'x', name: 'a' }),
    );
    expect(containerSpecHash({ name: 'a', image: 'x' })).not.toBe(
      containerSpecHash({ name: 'a', image: 'y' }),
    );
  });
});
