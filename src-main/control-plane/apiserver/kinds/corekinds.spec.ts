/* eslint-disable @typescript-eslint/no-explicit-any -- the specs poke into loosely typed JSON objects */
// Namespace, Node, ConfigMap, Secret, Events, Endpoints, EndpointSlice, Lease, ServiceAccount.
import { describe, expect, it } from 'vitest';
import { configMapStrategy } from './configmap';
import { endpointsStrategy } from './endpoints';
import { endpointSliceStrategy } from './endpointslice';
import { eventStrategy } from './event';
import { eventsV1EventStrategy } from './events-v1-event';
import { leaseStrategy } from './lease';
import { namespaceStrategy } from './namespace';
import { nodeStrategy } from './node';
import { secretStrategy } from './secret';
import { serviceAccountStrategy } from './serviceaccount';
import { ago, messages, NOW } from './testing';
import type { KubeObject } from './types';

const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  creationTimestamp: ago(3 * 24 * 3600_000 + 4 * 3600_000),
});

describe('Namespace', () => {
  it('new namespaces are Active with the kubernetes finalizer and the name label', () => {
    const ns: KubeObject = { metadata: meta('team-a') };
    namespaceStrategy.defaults!(ns);
    expect(ns).toMatchObject({
      metadata: { labels: { 'kubernetes.io/metadata.name': 'team-a' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    expect(namespaceStrategy.validateCreate!(ns)).toEqual([]);
    expect(namespaceStrategy.row(ns, NOW)).toEqual(['team-a', 'Active', '3d4h']);
    expect(namespaceStrategy.fieldSelectors!['status.phase']!(ns)).toBe('Active');
  });

  it('an update (status present) does not re-add a removed finalizer', () => {
    const ns: KubeObject = {
      metadata: meta('team-a'),
      spec: { finalizers: [] },
      status: { phase: 'Terminating' },
    };
    namespaceStrategy.defaults!(ns);
    expect(ns.spec).toEqual({ finalizers: [] });
  });

  it('names are DNS labels; spec finalizers standard or qualified', () => {
    const ns: KubeObject = { metadata: meta('team.a'), spec: { finalizers: ['custom'] } };
    const got = messages(namespaceStrategy.validateCreate!(ns));
    expect(got[0]).toMatch(/^metadata\.name: Invalid value: "team\.a": a lowercase RFC 1123 label/);
    expect(got).toContain(
      'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    );
  });

  it('names are immutable', () => {
    const old: KubeObject = { metadata: meta('a'), status: { phase: 'Active' } };
    const next: KubeObject = { metadata: meta('b'), status: { phase: 'Active' } };
    expect(messages(namespaceStrategy.validateUpdate!(next, old))).toContain(
      'metadata.name: Invalid value: "b": field is immutable',
    );
  });
});

describe('Node', () => {
  const node = (extra: Partial<KubeObject> = {}): KubeObject => ({
    metadata: {
      ...meta('worker-1'),
      labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'edge' },
    },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [
        { type: 'InternalIP', address: '192.168.1.10' },
        { type: 'Hostname', address: 'worker-1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0-flotilla',
        osImage: 'Debian GNU/Linux 12',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'docker://24.0.5',
      },
    },
    ...extra,
  });

  it('defaults allocatable to capacity and validates', () => {
    const n = node();
    nodeStrategy.defaults!(n);
    expect((n.status as any).allocatable).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(nodeStrategy.validateCreate!(n)).toEqual([]);
  });

  it('row', () => {
    expect(nodeStrategy.row(node(), NOW)).toEqual([
      'worker-1',
      'Ready',
      'control-plane,edge',
      '3d4h',
      'v1.32.0-flotilla',
      '192.168.1.10',
      '<none>',
      'Debian GNU/Linux 12',
      '6.1.0',
      'docker://24.0.5',
    ]);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    ['ready', {}, { conditions: [{ type: 'Ready', status: 'True' }] }, 'Ready'],
    ['not ready', {}, { conditions: [{ type: 'Ready', status: 'False' }] }, 'NotReady'],
    ['unknown', {}, {}, 'Unknown'],
    [
      'cordoned',
      { unschedulable: true },
      { conditions: [{ type: 'Ready', status: 'Unknown' }] },
      'NotReady,SchedulingDisabled',
    ],
  ])('status %s', (_name, spec, status, expected) => {
    expect(nodeStrategy.row(node({ spec, status }), NOW)[1]).toBe(expected);
    expect(nodeStrategy.fieldSelectors!['spec.unschedulable']!(node({ spec }))).toBe(
      String(spec.unschedulable === true),
    );
  });

  it('taints and pod CIDRs are validated; CIDRs and providerID only set once', () => {
    const n = node({ spec: { taints: [{ key: 'k', effect: 'Sometimes' }], podCIDRs: ['10.244.1.0/24'] } });
    expect(messages(nodeStrategy.validateCreate!(n))).toEqual([
      'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
    const old = node({ spec: { podCIDRs: ['10.244.1.0/24'], providerID: 'docker://a' } });
    const next = node({ spec: { podCIDRs: ['10.244.2.0/24'], providerID: 'docker://b' } });
    expect(messages(nodeStrategy.validateUpdate!(next, old))).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
      'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    ]);
    const fresh = node({ spec: {} });
    expect(
      messages(nodeStrategy.validateUpdate!(node({ spec: { podCIDRs: ['10.244.3.0/24'] } }), fresh)),
    ).toEqual([]);
  });
});

describe('ConfigMap', () => {
  const cm = (extra: Record<string, unknown>): KubeObject => ({ metadata: meta('cfg', 'default'), ...extra });

  it('valid keys, row counts data and binaryData', () => {
    const c = cm({ data: { 'app.conf': 'x=1', KEY_NAME: 'v' }, binaryData: { 'logo.png': 'iVBORw0KGgo=' } });
    expect(configMapStrategy.validateCreate!(c)).toEqual([]);
    expect(configMapStrategy.row(c, NOW)).toEqual(['cfg', 3, '3d4h']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'bad key',
      { data: { 'a b': 'x' } },
      "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ],
    [
      'too big',
      { data: { big: 'x'.repeat(1024 * 1024 + 1) } },
      'Too long: may not be more than 1048576 bytes',
    ],
    [
      'duplicate across maps',
      { data: { k: 'x' }, binaryData: { k: 'eA==' } },
      'data[k]: Invalid value: "k": duplicate of key present in binaryData',
    ],
  ])('%s', (_name, extra, expected) => {
    expect(messages(configMapStrategy.validateCreate!(cm(extra)))).toContain(expected);
  });

  it('immutable config maps keep their data', () => {
    const old = cm({ immutable: true, data: { a: '1' } });
    const next = cm({ immutable: true, data: { a: '2' } });
    expect(messages(configMapStrategy.validateUpdate!(next, old))).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(messages(configMapStrategy.validateUpdate!(cm({ data: { a: '1' } }), old))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('Secret', () => {
  const secret = (extra: Record<string, unknown>): KubeObject => ({
    metadata: meta('creds', 'default'),
    ...extra,
  });

  it('defaults type Opaque and folds stringData into base64 data', () => {
    const s = secret({ data: { a: 'YQ==' }, stringData: { user: 'admin', a: 'over' } });
    secretStrategy.defaults!(s);
    expect(s).toMatchObject({ type: 'Opaque', data: { a: 'b3Zlcg==', user: 'YWRtaW4=' } });
    expect((s as any).stringData).toBeUndefined();
    expect(secretStrategy.validateCreate!(s)).toEqual([]);
    expect(secretStrategy.row(s, NOW)).toEqual(['creds', 'Opaque', 2, '3d4h']);
    expect(secretStrategy.fieldSelectors!.type!(s)).toBe('Opaque');
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'base64',
      { type: 'Opaque', data: { a: 'not base64!' } },
      'data[a]: Invalid value: "<value omitted>": illegal base64 data at input byte 3',
    ],
    ['tls keys', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }, 'data[tls.key]: Required value'],
    [
      'service account token annotation',
      { type: 'kubernetes.io/service-account-token' },
      'metadata.annotations[kubernetes.io/service-account.name]: Required value',
    ],
    [
      'docker config json',
      { type: 'kubernetes.io/dockerconfigjson', data: {} },
      'data[.dockerconfigjson]: Required value',
    ],
  ])('%s', (_name, extra, expected) => {
    expect(messages(secretStrategy.validateCreate!(secret(extra)))).toContain(expected);
  });

  it('type is immutable', () => {
    const old = secret({ type: 'Opaque' });
    const next = secret({ type: 'kubernetes.io/basic-auth', data: { username: 'eA==' } });
    expect(messages(secretStrategy.validateUpdate!(next, old))).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
    ]);
  });
});

describe('Events', () => {
  const coreEvent = (extra: Record<string, unknown> = {}): KubeObject => ({
    metadata: meta('web.17a', 'default'),
    involvedObject: {
      kind: 'Pod',
      name: 'web',
      namespace: 'default',
      uid: 'u1',
      fieldPath: 'spec.containers{web}',
    },
    reason: 'Pulled',
    message: 'Container image "nginx" already present on machine ',
    type: 'Normal',
    source: { component: 'kubelet', host: 'worker-1' },
    firstTimestamp: ago(600_000),
    lastTimestamp: ago(90_000),
    count: 4,
    ...extra,
  });

  it('core/v1 row, validation and field selectors', () => {
    const e = coreEvent();
    expect(eventStrategy.validateCreate!(e)).toEqual([]);
    expect(eventStrategy.row(e, NOW)).toEqual([
      '90s',
      'Normal',
      'Pulled',
      'pod/web',
      'spec.containers{web}',
      'kubelet, worker-1',
      'Container image "nginx" already present on machine',
      '10m',
      4,
      'web.17a',
    ]);
    const f = eventStrategy.fieldSelectors!;
    expect(f['involvedObject.kind']!(e)).toBe('Pod');
    expect(f['involvedObject.name']!(e)).toBe('web');
    expect(f['involvedObject.uid']!(e)).toBe('u1');
    expect(f.reason!(e)).toBe('Pulled');
    expect(f.source!(e)).toBe('kubelet');
    expect(f.type!(e)).toBe('Normal');
    expect(f.reportingComponent!(e)).toBe('');
  });

  it('core/v1: involved object namespace must match', () => {
    const e = coreEvent({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } });
    expect(messages(eventStrategy.validateCreate!(e))).toEqual([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    ]);
  });

  it('core/v1 events with eventTime need the reporting fields', () => {
    const e = coreEvent({ eventTime: ago(1000), action: '' });
    expect(messages(eventStrategy.validateCreate!(e))).toEqual([
      'reportingComponent: Required value',
      expect.stringMatching(/^reportingComponent: Invalid value: "": name part must be non-empty/),
      expect.stringMatching(/^reportingComponent: Invalid value: "": name part must consist/),
      'reportingInstance: Required value',
      'action: Required value',
    ]);
  });

  const v1Event = (extra: Record<string, unknown> = {}): KubeObject => ({
    metadata: meta('web.17b', 'default'),
    eventTime: ago(120_000),
    regarding: { kind: 'Pod', name: 'web', namespace: 'default' },
    reason: 'Scheduled',
    note: 'Successfully assigned default/web to worker-1',
    type: 'Normal',
    action: 'Binding',
    reportingController: 'flotilla.dev/scheduler',
    reportingInstance: 'scheduler-1',
    ...extra,
  });

  it('events.k8s.io/v1 row, validation and field selectors', () => {
    const e = v1Event({ series: { count: 3, lastObservedTime: ago(5000) } });
    expect(eventsV1EventStrategy.validateCreate!(e)).toEqual([]);
    expect(eventsV1EventStrategy.row(e, NOW)).toEqual([
      '5s',
      'Normal',
      'Scheduled',
      'pod/web',
      '',
      'flotilla.dev/scheduler, scheduler-1',
      'Successfully assigned default/web to worker-1',
      '2m',
      3,
      'web.17b',
    ]);
    expect(eventsV1EventStrategy.fieldSelectors!['regarding.name']!(e)).toBe('web');
    expect(eventsV1EventStrategy.fieldSelectors!.reportingController!(e)).toBe('flotilla.dev/scheduler');
  });

  it('events.k8s.io/v1 is strict on create and immutable but for the series', () => {
    const bad = v1Event({ type: 'Odd', deprecatedCount: 2, series: { count: 1, lastObservedTime: ago(1) } });
    expect(messages(eventsV1EventStrategy.validateCreate!(bad))).toEqual([
      'series.count: Invalid value: "": should be at least 2',
      'type: Invalid value: "": has invalid value: Odd',
      'deprecatedCount: Invalid value: "": needs to be unset',
    ]);
    const old = v1Event({ series: { count: 2, lastObservedTime: ago(60_000) } });
    const next = v1Event({ series: { count: 3, lastObservedTime: ago(1000) } });
    expect(eventsV1EventStrategy.validateUpdate!(next, old)).toEqual([]);
    const changed = v1Event({ note: 'different' });
    expect(messages(eventsV1EventStrategy.validateUpdate!(changed, v1Event()))).toEqual([
      'note: Invalid value: "different": field is immutable',
    ]);
  });
});

describe('Endpoints and EndpointSlices', () => {
  it('Endpoints row lists up to three addresses', () => {
    const ep: KubeObject = {
      metadata: meta('web', 'default'),
      subsets: [
        {
          addresses: [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }, { ip: '10.244.2.4' }, { ip: '10.244.2.5' }],
          ports: [{ port: 8080, protocol: 'TCP' }],
        },
      ],
    };
    expect(endpointsStrategy.validateCreate!(ep)).toEqual([]);
    expect(endpointsStrategy.row(ep, NOW)).toEqual([
      'web',
      '10.244.1.2:8080,10.244.1.3:8080,10.244.2.4:8080 + 1 more...',
      '3d4h',
    ]);
    expect(endpointsStrategy.row({ metadata: meta('none', 'default') }, NOW)[1]).toBe('<none>');
  });

  it('Endpoints addresses must be valid and not loopback', () => {
    const ep: KubeObject = {
      metadata: meta('web', 'default'),
      subsets: [{ addresses: [{ ip: '127.0.0.1' }, { ip: 'x' }], ports: [{ port: 80, protocol: 'TCP' }] }],
    };
    expect(messages(endpointsStrategy.validateCreate!(ep))).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'subsets[0].addresses[1].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });

  it('EndpointSlice validation, immutable address type and row', () => {
    const slice: KubeObject = {
      metadata: meta('web-abc', 'default'),
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.2'] }, { addresses: ['10.244.1.3'] }],
      ports: [{ name: 'http', port: 8080 }],
    };
    endpointSliceStrategy.defaults!(slice);
    expect(endpointSliceStrategy.validateCreate!(slice)).toEqual([]);
    expect(endpointSliceStrategy.row(slice, NOW)).toEqual([
      'web-abc',
      'IPv4',
      '8080',
      '10.244.1.2,10.244.1.3',
      '3d4h',
    ]);
    const bad = { ...slice, addressType: 'IPv6' };
    expect(messages(endpointSliceStrategy.validateUpdate!(bad, slice))).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "10.244.1.2": must be a valid IPv6 address',
      'endpoints[1].addresses[0]: Invalid value: "10.244.1.3": must be a valid IPv6 address',
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
    expect(
      messages(
        endpointSliceStrategy.validateCreate!({
          ...slice,
          addressType: 'IPX',
          endpoints: [{ addresses: [] }],
        }),
      ),
    ).toEqual([
      'addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"',
      'endpoints[0].addresses: Required value: must contain at least 1 address',
    ]);
  });
});

describe('Lease and ServiceAccount', () => {
  it('Lease', () => {
    const lease: KubeObject = {
      metadata: meta('worker-1', 'kube-node-lease'),
      spec: { holderIdentity: 'worker-1', leaseDurationSeconds: 40 },
    };
    expect(leaseStrategy.validateCreate!(lease)).toEqual([]);
    expect(leaseStrategy.row(lease, NOW)).toEqual(['worker-1', 'worker-1', '3d4h']);
    lease.spec = { leaseDurationSeconds: 0, leaseTransitions: -1 };
    expect(messages(leaseStrategy.validateCreate!(lease))).toEqual([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });

  it('ServiceAccount', () => {
    const sa: KubeObject = { metadata: meta('default', 'default'), secrets: [{ name: 'tok' }] };
    expect(serviceAccountStrategy.validateCreate!(sa)).toEqual([]);
    expect(serviceAccountStrategy.row(sa, NOW)).toEqual(['default', 1, '3d4h']);
  });
});
