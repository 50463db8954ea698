/* eslint-disable @typescript-eslint/no-explicit-any -- the specs poke into loosely typed JSON objects */
import { describe, expect, it } from 'vitest';
import { podStrategy, POD_UPDATE_FORBIDDEN_MESSAGE } from './pod';
import { ago, messages, NOW } from './testing';
import type { KubeObject } from './types';

function pod(spec: Record<string, unknown> = {}, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: ago(5 * 60_000) },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...spec },
    ...extra,
  };
}

function defaulted(p: KubeObject): KubeObject {
  podStrategy.defaults!(p);
  return p;
}

describe('Pod defaults', () => {
  it('fills the pod spec like SetDefaults_Pod / _PodSpec / _Container', () => {
    const p = defaulted(
      pod({
        containers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            readinessProbe: { httpGet: { port: 80 } },
            resources: { limits: { cpu: '0.5', memory: '128974848' } },
          },
        ],
      }),
    );
    const spec = p.spec as Record<string, any>;
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
    });
    const c = spec.containers[0];
    expect(c).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      readinessProbe: {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      // canonical quantities; requests default to limits on Pods
      resources: {
        limits: { cpu: '500m', memory: '128974848' },
        requests: { cpu: '500m', memory: '128974848' },
      },
    });
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'Guaranteed' });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['registry.local:5000/app', 'Always'],
    ['registry.local:5000/app:v2', 'IfNotPresent'],
    ['app@sha256:abcd', 'IfNotPresent'],
  ])('image %s → imagePullPolicy %s', (image, policy) => {
    const p = defaulted(pod({ containers: [{ name: 'c', image }] }));
    expect((p.spec as any).containers[0].imagePullPolicy).toBe(policy);
  });

  it.each([
    [[{ name: 'a', image: 'x' }], 'BestEffort'],
    [[{ name: 'a', image: 'x', resources: { requests: { cpu: '100m' } } }], 'Burstable'],
    [[{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }], 'Guaranteed'],
    [
      [
        {
          name: 'a',
          image: 'x',
          resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } },
        },
      ],
      'Burstable',
    ],
  ])('QoS class of %j is %s', (containers, qos) => {
    expect((defaulted(pod({ containers })).status as any).qosClass).toBe(qos);
  });

  it('volumes without a source become emptyDir; secrets get defaultMode 420', () => {
    const p = defaulted(pod({ volumes: [{ name: 'scratch' }, { name: 's', secret: { secretName: 'x' } }] }));
    expect((p.spec as any).volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 's', secret: { secretName: 'x', defaultMode: 420 } },
    ]);
  });

  it('prepareForCreate resets status', () => {
    const p = pod({}, { status: { phase: 'Running', podIP: '1.2.3.4' } });
    podStrategy.prepareForCreate!(p);
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });
});

describe('Pod validation', () => {
  const validate = (spec: Record<string, unknown>, extra: Partial<KubeObject> = {}) =>
    messages(podStrategy.validateCreate!(defaulted(pod(spec, extra))));

  it('accepts a valid pod', () => {
    expect(validate({})).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['containers required', { containers: [] }, 'spec.containers: Required value'],
    ['image required', { containers: [{ name: 'web' }] }, 'spec.containers[0].image: Required value'],
    [
      'container names are DNS labels',
      { containers: [{ name: 'Web', image: 'x' }] },
      "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ],
    [
      'unique container names',
      {
        containers: [
          { name: 'web', image: 'x' },
          { name: 'web', image: 'y' },
        ],
      },
      'spec.containers[1].name: Duplicate value: "web"',
    ],
    [
      'restartPolicy enum',
      { restartPolicy: 'Sometimes' },
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ],
    [
      'port range',
      { containers: [{ name: 'web', image: 'x', ports: [{ containerPort: 70000 }] }] },
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ],
    [
      'unique port names',
      {
        containers: [
          {
            name: 'web',
            image: 'x',
            ports: [
              { name: 'http', containerPort: 80 },
              { name: 'http', containerPort: 81 },
            ],
          },
        ],
      },
      'spec.containers[0].ports[1].name: Duplicate value: "http"',
    ],
    [
      'env names',
      { containers: [{ name: 'web', image: 'x', env: [{ name: 'A=B', value: '1' }] }] },
      'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
    ],
    [
      'env valueFrom with value',
      {
        containers: [
          {
            name: 'web',
            image: 'x',
            env: [{ name: 'A', value: '1', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          },
        ],
      },
      'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    ],
    [
      'mounts must reference volumes',
      { containers: [{ name: 'web', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
    [
      'unique volume names',
      {
        volumes: [
          { name: 'v', emptyDir: {} },
          { name: 'v', emptyDir: {} },
        ],
      },
      'spec.volumes[1].name: Duplicate value: "v"',
    ],
    [
      'requests ≤ limits',
      {
        containers: [
          { name: 'web', image: 'x', resources: { requests: { cpu: '1' }, limits: { cpu: '500m' } } },
        ],
      },
      'spec.containers[0].resources.requests[cpu]: Invalid value: "1": must be less than or equal to cpu limit of 500m',
    ],
    [
      'quantities valid',
      { containers: [{ name: 'web', image: 'x', resources: { limits: { memory: '1GB' } } }] },
      'spec.containers[0].resources.limits[memory]: Invalid value: "1GB": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    ],
    [
      'probes need a handler',
      { containers: [{ name: 'web', image: 'x', livenessProbe: { periodSeconds: 5 } }] },
      'spec.containers[0].livenessProbe: Required value: must specify a handler type',
    ],
    [
      'probe fields non-negative',
      {
        containers: [
          { name: 'web', image: 'x', readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: -1 } },
        ],
      },
      'spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      'liveness successThreshold is 1',
      {
        containers: [
          { name: 'web', image: 'x', livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } },
        ],
      },
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    ],
    [
      'tolerations',
      { tolerations: [{ operator: 'Equal', value: 'x' }] },
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ],
    [
      'nodeSelector labels',
      { nodeSelector: { 'bad key': 'x' } },
      'spec.nodeSelector: Invalid value: "bad key": name part must consist of alphanumeric characters',
    ],
    [
      'node affinity terms',
      {
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
        },
      },
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
    ],
    [
      'pod anti-affinity topologyKey',
      {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } } }],
          },
        },
      },
      'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
    ],
  ])('%s', (_name, spec, expected) => {
    const got = validate(spec);
    expect(got.some((m) => m.startsWith(expected))).toBe(true);
  });

  it('checks metadata: name format, labels, annotations size, owners', () => {
    const p = defaulted(pod());
    p.metadata = {
      name: 'Bad_Name',
      namespace: 'default',
      labels: { ok: 'yes', bad: '-no' },
      annotations: { big: 'x'.repeat(300 * 1024) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '' }],
    };
    const got = messages(podStrategy.validateCreate!(p));
    expect(got[0]).toMatch(/^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(got).toContain('metadata.annotations: Too long: may not be more than 262144 bytes');
    expect(got).toContain('metadata.ownerReferences.uid: Invalid value: "": uid must not be empty');
    expect(
      got.some((m) =>
        m.startsWith('metadata.labels: Invalid value: "-no": a valid label must be an empty string'),
      ),
    ).toBe(true);
  });
});

describe('Pod updates', () => {
  const base = () =>
    defaulted(
      pod({ tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] }),
    );

  it('allows image changes, added tolerations and a shorter activeDeadlineSeconds', () => {
    const old = base();
    (old.spec as any).activeDeadlineSeconds = 100;
    const next = structuredClone(old);
    (next.spec as any).containers[0].image = 'nginx:1.28';
    (next.spec as any).activeDeadlineSeconds = 50;
    (next.spec as any).tolerations.push({ key: 'other', operator: 'Exists' });
    (next.spec as any).tolerations[0].tolerationSeconds = 20;
    expect(messages(podStrategy.validateUpdate!(next, old))).toEqual([]);
  });

  it('forbids other spec changes', () => {
    const old = base();
    const next = structuredClone(old);
    (next.spec as any).containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
    const got = messages(podStrategy.validateUpdate!(next, old));
    expect(got).toHaveLength(1);
    expect(got[0]).toContain(`spec: Forbidden: ${POD_UPDATE_FORBIDDEN_MESSAGE}`);
    expect(got[0]).toContain('spec.containers[0].ports');
  });

  it.each<[string, (s: any) => void, string]>([
    [
      'removing a toleration',
      (s) => (s.tolerations = []),
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ],
    [
      'raising activeDeadlineSeconds',
      (s) => (s.activeDeadlineSeconds = 500),
      'spec.activeDeadlineSeconds: Invalid value: 500: must be less than or equal to previous value',
    ],
    ['clearing an image', (s) => (s.containers[0].image = ''), 'spec.containers[0].image: Required value'],
  ])('%s', (_name, change, expected) => {
    const old = base();
    (old.spec as any).activeDeadlineSeconds = 100;
    const next = structuredClone(old);
    change(next.spec);
    expect(messages(podStrategy.validateUpdate!(next, old))).toContain(expected);
  });

  it('name is immutable', () => {
    const old = base();
    const next = structuredClone(old);
    next.metadata!.name = 'other';
    expect(messages(podStrategy.validateUpdate!(next, old))).toContain(
      'metadata.name: Invalid value: "other": field is immutable',
    );
  });
});

describe('Pod rows (kubectl get pods -o wide)', () => {
  const row = (p: KubeObject) => podStrategy.row(p, NOW);

  it('a pending pod', () => {
    expect(row(defaulted(pod()))).toEqual([
      'web',
      '0/1',
      'Pending',
      '0',
      '5m',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
  });

  it('a running pod with restarts', () => {
    const p = pod(
      { nodeName: 'node-1' },
      {
        status: {
          phase: 'Running',
          podIPs: [{ ip: '10.244.1.5' }],
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [
            {
              name: 'web',
              ready: true,
              restartCount: 3,
              state: { running: { startedAt: ago(60_000) } },
              lastState: { terminated: { exitCode: 1, finishedAt: ago(65_000) } },
            },
          ],
        },
      },
    );
    expect(row(p)).toEqual([
      'web',
      '1/1',
      'Running',
      '3 (65s ago)',
      '5m',
      '10.244.1.5',
      'node-1',
      '<none>',
      '<none>',
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['CrashLoopBackOff', { waiting: { reason: 'CrashLoopBackOff' } }, 'CrashLoopBackOff'],
    ['ErrImagePull', { waiting: { reason: 'ErrImagePull' } }, 'ErrImagePull'],
    ['Completed', { terminated: { reason: 'Completed', exitCode: 0 } }, 'Completed'],
    ['exit code without reason', { terminated: { exitCode: 2 } }, 'ExitCode:2'],
    ['signal without reason', { terminated: { exitCode: 137, signal: 9 } }, 'Signal:9'],
  ])('status from container state: %s', (_name, state, expected) => {
    const p = pod(
      {},
      {
        status: {
          phase: 'Running',
          containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state }],
        },
      },
    );
    expect(row(p)[2]).toBe(expected);
  });

  it('init containers', () => {
    const p = pod(
      { initContainers: [{ name: 'init', image: 'x' }] },
      { status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { running: {} } }] } },
    );
    expect(row(p)[2]).toBe('Init:0/1');
    const failed = pod(
      { initContainers: [{ name: 'init', image: 'x' }] },
      {
        status: {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'init', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
        },
      },
    );
    expect(row(failed)[2]).toBe('Init:CrashLoopBackOff');
  });

  it('Terminating once deletion started (unless finished)', () => {
    const p = pod({}, { status: { phase: 'Running' } });
    p.metadata!.deletionTimestamp = ago(1000);
    expect(row(p)[2]).toBe('Terminating');
    const done = pod({}, { status: { phase: 'Succeeded' } });
    done.metadata!.deletionTimestamp = ago(1000);
    expect(row(done)[2]).toBe('Succeeded');
  });

  it('selectable fields', () => {
    const p = defaulted(pod({ nodeName: 'n1' }));
    const f = podStrategy.fieldSelectors!;
    expect(f['spec.nodeName']!(p)).toBe('n1');
    expect(f['status.phase']!(p)).toBe('Pending');
    expect(f['spec.restartPolicy']!(p)).toBe('Always');
    expect(f['spec.schedulerName']!(p)).toBe('default-scheduler');
    expect(f['status.podIP']!(p)).toBe('');
    expect(f['spec.serviceAccountName']!(p)).toBe('');
    expect(f['status.nominatedNodeName']!(p)).toBe('');
  });
});
