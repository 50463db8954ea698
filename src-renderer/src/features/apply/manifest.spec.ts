import { describe, expect, it } from 'vitest';
import { parseFieldPath, parseManifest } from './manifest';

const TWO_DOCS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: c
          image: busybox
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: 80
`;

describe('parseManifest', () => {
  it('splits documents and knows where each starts', () => {
    const { objects, problems } = parseManifest(TWO_DOCS);
    expect(problems).toEqual([]);
    expect(objects.map((o) => [o.label, o.line, o.namespace, o.resource.plural])).toEqual([
      ['Deployment web', 1, 'default', 'deployments'],
      ['Service shop/web', 13, 'shop', 'services'],
    ]);
  });

  it('maps server field paths to the line of that field in its document', () => {
    const [deployment, service] = parseManifest(TWO_DOCS).objects;
    expect(deployment!.lineOf('spec.replicas')).toBe(6);
    expect(deployment!.lineOf('spec.template.spec.containers[0].image')).toBe(11);
    // A field that is not in the manifest (a default the server filled in) points at its nearest parent.
    expect(deployment!.lineOf('spec.template.spec.containers[0].imagePullPolicy')).toBe(10);
    expect(service!.lineOf('spec.ports[0].port')).toBe(20);
    expect(service!.lineOf('metadata')).toBe(15);
  });

  it('reports YAML syntax errors at their line and column', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: [1, 2\n';
    const { problems, objects } = parseManifest(text);
    expect(objects).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.line).toBeGreaterThanOrEqual(6);
  });

  it('reports a missing kind, an unknown kind and a missing name at the right document', () => {
    const text = [
      'apiVersion: v1', // 1
      'kind: ConfigMap', // 2
      'metadata: {name: ok}', // 3
      '---', // 4
      'apiVersion: v1', // 5
      'metadata: {name: nokind}', // 6
      '---', // 7
      'apiVersion: example.com/v1', // 8
      'kind: Widget', // 9
      'metadata: {name: w}', // 10
      '---', // 11
      'apiVersion: v1', // 12
      'kind: Service', // 13
      'metadata:', // 14
      '  labels: {a: b}', // 15
    ].join('\n');
    const { problems, objects } = parseManifest(text);
    expect(objects.map((o) => o.name)).toEqual(['ok']);
    expect(problems.map((p) => [p.line, p.message.split(' ')[0]])).toEqual([
      [5, 'kind'],
      [9, 'example.com/v1'],
      [14, 'metadata.name'],
    ]);
  });

  it('accepts JSON: one object, an array, or a List', () => {
    const one = parseManifest('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}');
    expect(one.objects.map((o) => o.name)).toEqual(['a']);
    const array = parseManifest(
      '[\n {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},\n {"apiVersion":"v1","kind":"Secret","metadata":{"name":"b"}}\n]',
    );
    expect(array.objects.map((o) => [o.label, o.line])).toEqual([
      ['ConfigMap a', 2],
      ['Secret b', 3],
    ]);
    const list = parseManifest(
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n',
    );
    expect(list.objects.map((o) => [o.label, o.line])).toEqual([['ConfigMap x', 4]]);
  });

  it('ignores empty documents and comments', () => {
    expect(parseManifest('# nothing here\n---\n---\n')).toEqual({ objects: [], problems: [] });
  });
});

describe('parseFieldPath', () => {
  it('understands indexes and bracketed keys with dots', () => {
    expect(parseFieldPath('spec.containers[0].image')).toEqual(['spec', 'containers', 0, 'image']);
    expect(parseFieldPath('metadata.labels[app.kubernetes.io/name]')).toEqual([
      'metadata',
      'labels',
      'app.kubernetes.io/name',
    ]);
  });
});
