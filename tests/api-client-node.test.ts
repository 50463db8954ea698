// The API through a second real client: @kubernetes/client-node (1.x, see support/client-node.ts), configured from the kubeconfig
// the control plane writes, exactly as an application would use it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiException, KubeConfig, V1ConfigMap, V1Deployment } from 'kubernetes-client-node-v1';
import { k8s } from './support/client-node';
import { startTestControlPlane } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';

const NS = 'client-node';

let cp: TestControlPlane;
let kc: KubeConfig;
let core: InstanceType<typeof k8s.CoreV1Api>;
let apps: InstanceType<typeof k8s.AppsV1Api>;

const mergePatch = () => k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategicPatch = () => k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const jsonPatch = () => k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

/** Waits until `check` passes, retrying until the deadline (for state that arrives asynchronously). */
async function eventually(check: () => void, timeoutMs = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not hold within ${timeoutMs} ms: ${(err as Error).message}`, {
          cause: err,
        });
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const e = err as ApiException<unknown>;
    expect(e).toBeInstanceOf(k8s.ApiException);
    const body =
      typeof e.body === 'string'
        ? (JSON.parse(e.body) as Record<string, unknown>)
        : (e.body as Record<string, unknown>);
    return { code: e.code, status: body };
  }
  throw new Error('expected the call to fail');
}

const configMap = (
  name: string,
  data: Record<string, string>,
  labels: Record<string, string> = {},
): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS, labels },
  data,
});

describe('@kubernetes/client-node against flotilla', () => {
  beforeAll(async () => {
    cp = await startTestControlPlane();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  });
  afterAll(async () => {
    await cp?.dispose();
  });

  it('loads the kubeconfig: one cluster, the admin user with a client certificate', () => {
    expect(kc.getCurrentCluster()?.server).toBe(cp.url);
    expect(kc.getCurrentUser()?.certData).toBeTruthy();
    expect(kc.getCurrentUser()?.keyData).toBeTruthy();
  });

  it('reads /version and discovery', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.major).toBe('1');
    expect(version.gitVersion).toMatch(/^v1\.32\./);
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name).sort()).toEqual([
      'apps',
      'certificates.k8s.io',
      'coordination.k8s.io',
      'discovery.k8s.io',
      'flotilla.dev',
      'metrics.k8s.io',
    ]);
    const coreResources = await core.getAPIResources();
    expect(coreResources.resources.find((r) => r.name === 'pods')).toMatchObject({
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
    });
  });

  it('lists namespaces, with the system ones present', async () => {
    const list = await core.listNamespace();
    expect(list.kind).toBe('NamespaceList');
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((n) => n.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease', NS]),
    );
    const ns = await core.readNamespace({ name: NS });
    expect(ns.status?.phase).toBe('Active');
  });

  it('creates, reads and lists with label and field selectors and paging', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMap('cn-a', { k: 'a' }, { role: 'x' }),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMap('cn-b', { k: 'b' }, { role: 'y' }),
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMap('cn-c', { k: 'c' }, { role: 'x' }),
    });

    const read = await core.readNamespacedConfigMap({ name: 'cn-a', namespace: NS });
    expect(read.data).toEqual({ k: 'a' });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);

    const byLabel = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'role=x' });
    expect(byLabel.items.map((c) => c.metadata?.name)).toEqual(['cn-a', 'cn-c']);
    const byField = await core.listNamespacedConfigMap({
      namespace: NS,
      fieldSelector: 'metadata.name=cn-b',
    });
    expect(byField.items.map((c) => c.metadata?.name)).toEqual(['cn-b']);

    const page1 = await core.listNamespacedConfigMap({ namespace: NS, limit: 2 });
    expect(page1.items.map((c) => c.metadata?.name)).toEqual(['cn-a', 'cn-b']);
    expect(page1.metadata?._continue).toBeTruthy();
    expect(page1.metadata?.remainingItemCount).toBe(1);
    const page2 = await core.listNamespacedConfigMap({
      namespace: NS,
      limit: 2,
      _continue: page1.metadata!._continue!,
    });
    expect(page2.items.map((c) => c.metadata?.name)).toEqual(['cn-c']);
    expect(page2.metadata?._continue).toBeFalsy();

    const all = await core.listConfigMapForAllNamespaces({ labelSelector: 'role' });
    expect(all.items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`)).toEqual([
      `${NS}/cn-a`,
      `${NS}/cn-b`,
      `${NS}/cn-c`,
    ]);
  });

  it('creates an object sent without apiVersion and kind (the server takes them from the URL)', async () => {
    // client-node's typed methods send whatever body they are given; Kubernetes fills in the group,
    // version and kind of the endpoint when the body leaves them out.
    const created = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'cn-bare' }, data: { bare: 'yes' } },
    });
    expect(created.kind).toBe('ConfigMap');
    expect(created.apiVersion).toBe('v1');
    expect((await core.readNamespacedConfigMap({ name: 'cn-bare', namespace: NS })).data).toEqual({
      bare: 'yes',
    });
  });

  it('reports API errors as ApiException with the Status body', async () => {
    const missing = await apiError(core.readNamespacedConfigMap({ name: 'nope', namespace: NS }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'configmaps "nope" not found',
    });

    const dup = await apiError(
      core.createNamespacedConfigMap({ namespace: NS, body: configMap('cn-a', {}) }),
    );
    expect(dup.code).toBe(409);
    expect(dup.status).toMatchObject({
      reason: 'AlreadyExists',
      details: { name: 'cn-a', kind: 'configmaps' },
    });

    const invalid = await apiError(
      core.createNamespacedPod({
        namespace: NS,
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'no-image' },
          spec: { containers: [{ name: 'c' }] },
        },
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.status).toMatchObject({ reason: 'Invalid' });
    expect((invalid.status.details as { causes: { field: string }[] }).causes).toEqual([
      expect.objectContaining({ reason: 'FieldValueRequired', field: 'spec.containers[0].image' }),
    ]);

    // A replace with a stale resourceVersion is a conflict.
    const current = await core.readNamespacedConfigMap({ name: 'cn-a', namespace: NS });
    await core.replaceNamespacedConfigMap({
      name: 'cn-a',
      namespace: NS,
      body: { ...current, data: { k: 'a2' } },
    });
    const stale = await apiError(
      core.replaceNamespacedConfigMap({
        name: 'cn-a',
        namespace: NS,
        body: { ...current, data: { k: 'a3' } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    expect((await core.readNamespacedConfigMap({ name: 'cn-a', namespace: NS })).data).toEqual({ k: 'a2' });
  });

  it('patches with merge, strategic merge and JSON patch', async () => {
    const merged = await core.patchNamespacedConfigMap(
      {
        name: 'cn-b',
        namespace: NS,
        body: { data: { added: '1' }, metadata: { labels: { patched: 'merge' } } },
      },
      mergePatch(),
    );
    expect(merged.data).toEqual({ k: 'b', added: '1' });
    expect(merged.metadata?.labels).toEqual({ role: 'y', patched: 'merge' });

    const removed = await core.patchNamespacedConfigMap(
      { name: 'cn-b', namespace: NS, body: { data: { k: null } } },
      mergePatch(),
    );
    expect(removed.data).toEqual({ added: '1' });

    const d: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cn-web', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'cn-web' } },
        template: {
          metadata: { labels: { app: 'cn-web' } },
          spec: {
            containers: [
              { name: 'web', image: 'busybox:1.36', env: [{ name: 'A', value: '1' }] },
              { name: 'log', image: 'busybox:1.36' },
            ],
          },
        },
      },
    };
    await apps.createNamespacedDeployment({ namespace: NS, body: d });
    // Strategic merge: the container list is merged by name, env by name; other containers stay.
    const strategic = await apps.patchNamespacedDeployment(
      {
        name: 'cn-web',
        namespace: NS,
        body: {
          spec: {
            template: {
              spec: {
                containers: [{ name: 'web', image: 'busybox:1.37', env: [{ name: 'B', value: '2' }] }],
              },
            },
          },
        },
      },
      strategicPatch(),
    );
    const containers = strategic.spec!.template.spec!.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`).sort()).toEqual([
      'log=busybox:1.36',
      'web=busybox:1.37',
    ]);
    expect(
      containers
        .find((c) => c.name === 'web')!
        .env!.map((e) => e.name)
        .sort(),
    ).toEqual(['A', 'B']);
    expect(strategic.metadata?.generation).toBe(2);

    const jp = await apps.patchNamespacedDeployment(
      { name: 'cn-web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] },
      jsonPatch(),
    );
    expect(jp.spec?.replicas).toBe(4);

    const scale = await apps.readNamespacedDeploymentScale({ name: 'cn-web', namespace: NS });
    expect(scale.spec?.replicas).toBe(4);
    const rescaled = await apps.patchNamespacedDeploymentScale(
      { name: 'cn-web', namespace: NS, body: { spec: { replicas: 2 } } },
      mergePatch(),
    );
    expect(rescaled.spec?.replicas).toBe(2);
    expect((await apps.readNamespacedDeployment({ name: 'cn-web', namespace: NS })).spec?.replicas).toBe(2);
  });

  it('Watch sees ADDED, MODIFIED and DELETED in order, from a list resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const events: { phase: string; name: string; rv: string; data?: Record<string, string> }[] = [];
    let ended: unknown = 'open';
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: list.metadata!.resourceVersion!, allowWatchBookmarks: false },
      (phase, obj: V1ConfigMap) => {
        events.push({
          phase,
          name: obj.metadata!.name!,
          rv: obj.metadata!.resourceVersion!,
          ...(obj.data ? { data: obj.data } : {}),
        });
      },
      (err) => {
        ended = err;
      },
    );
    try {
      const created = await core.createNamespacedConfigMap({
        namespace: NS,
        body: configMap('cn-watched', { v: '1' }),
      });
      const patched = await core.patchNamespacedConfigMap(
        { name: 'cn-watched', namespace: NS, body: { data: { v: '2' } } },
        mergePatch(),
      );
      await core.deleteNamespacedConfigMap({ name: 'cn-watched', namespace: NS });
      await eventually(() => expect(events).toHaveLength(3), 10_000, 'three watch events');
      expect(events.map((e) => `${e.phase} ${e.name}`)).toEqual([
        'ADDED cn-watched',
        'MODIFIED cn-watched',
        'DELETED cn-watched',
      ]);
      expect(events[0]!.rv).toBe(created.metadata!.resourceVersion);
      expect(events[1]!.rv).toBe(patched.metadata!.resourceVersion);
      expect(events[1]!.data).toEqual({ v: '2' });
      expect(Number(events[2]!.rv)).toBeGreaterThan(Number(events[1]!.rv));
      expect(ended).toBe('open');
    } finally {
      controller.abort();
    }
  });

  it('an informer (makeInformer) stays in sync through creates, updates and deletes', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const informer = k8s.makeInformer<V1ConfigMap>(
      kc,
      path,
      () => core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'informed=yes' }),
      'informed=yes',
    );
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata!.name} ${o.data?.v ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata!.name}`));
    informer.on('error', (err) => errors.push(err));

    await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMap('inf-1', { v: '1' }, { informed: 'yes' }),
    });
    await informer.start();
    try {
      const names = () =>
        informer
          .list(NS)
          .map((o) => o.metadata!.name)
          .sort();
      await eventually(() => expect(names()).toEqual(['inf-1']), 10_000, 'the initial list');

      await core.createNamespacedConfigMap({
        namespace: NS,
        body: configMap('inf-2', { v: '1' }, { informed: 'yes' }),
      });
      await core.createNamespacedConfigMap({ namespace: NS, body: configMap('not-informed', { v: '1' }) });
      await core.patchNamespacedConfigMap(
        { name: 'inf-1', namespace: NS, body: { data: { v: '2' } } },
        mergePatch(),
      );
      await eventually(
        () => {
          expect(names()).toEqual(['inf-1', 'inf-2']);
          expect(informer.get('inf-1', NS)?.data).toEqual({ v: '2' });
        },
        10_000,
        'the informer cache after create and update',
      );

      // A label change that takes an object out of the selector is a delete for the informer.
      await core.patchNamespacedConfigMap(
        { name: 'inf-2', namespace: NS, body: { metadata: { labels: { informed: 'no' } } } },
        mergePatch(),
      );
      await core.deleteNamespacedConfigMap({ name: 'inf-1', namespace: NS });
      await eventually(() => expect(names()).toEqual([]), 10_000, 'the informer cache after deletes');

      const latest = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'informed=yes' });
      expect(latest.items).toEqual([]);
      expect(seen).toEqual(['add inf-1', 'add inf-2', 'update inf-1 2', 'delete inf-2', 'delete inf-1']);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
