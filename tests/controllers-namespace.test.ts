// Namespace deletion against the real control plane: `kubectl delete ns x --wait` returns once the
// namespace controller has emptied the namespace (workloads, pods that take their grace period, config,
// services, leases…) and finalized it; content held by a finalizer keeps the namespace Terminating
// with the conditions Kubernetes reports until it is released. A fake kubelet plays the node's part
// for bound pods (finishing their graceful deletion); no other controller runs except the collector.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { createGarbageCollector } from '../src-main/control-plane/controllers/garbagecollector';
import { createNamespaceController } from '../src-main/control-plane/controllers/namespace';
import type { Namespace } from '../src-main/control-plane/controllers/namespace/controller';
import { startFakeKubelet } from '../src-main/control-plane/controllers/testing';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { CoreEvent } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import { isKubeApiError } from '../src-main/shared/kube/types';
import type { KubeApi, KubeObjectLike, Stoppable } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { kubectlRunner } from './support/kubectl';
import { requireTool } from './support/tools';

const kubectlTool = requireTool('/usr/bin/kubectl', 'kubectl v1.32 at /usr/bin/kubectl');
const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const NAMESPACES = r('namespaces');
const PODS = r('pods');
const EVENTS = r('events');
const CONFIGMAPS = r('configmaps');
const HOLD = 'test.flotilla.dev/hold';

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
let manager: ControllerManager;
let kubelet: Stoppable;

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
  const log = testLogger();
  manager = await startControllerManager({
    api,
    log,
    controllers: ['namespace', 'garbagecollector'],
    registry: {
      namespace: (ctx) => createNamespaceController(ctx, { recheckIntervalMs: 200 }),
      garbagecollector: (ctx) => createGarbageCollector(ctx),
    },
  });
  kubelet = await startFakeKubelet(api, { filter: (p) => Boolean(p.spec?.nodeName) });
});

afterAll(async () => {
  kubelet?.stop();
  await manager?.stop();
  transport?.close();
  await cp?.dispose();
});

async function exists(res: ResourceInfo, name: string, namespace?: string): Promise<boolean> {
  try {
    await api.get(res, name, namespace);
    return true;
  } catch (err) {
    if (isKubeApiError(err, 404)) return false;
    throw err;
  }
}

const manifest = (ns: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${ns}}
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: token, namespace: ${ns}}
stringData: {t: x}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: lock, namespace: ${ns}}
spec: {holderIdentity: me}
---
apiVersion: v1
kind: Pod
metadata: {name: unbound, namespace: ${ns}}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: running, namespace: ${ns}}
spec: {nodeName: node-a, terminationGracePeriodSeconds: 30, containers: [{name: c, image: busybox}]}
`;

describe('namespace deletion', () => {
  it.skipIf(Boolean(kubectlTool.skipReason))(
    'kubectl delete ns --wait returns once everything in it is gone, then the namespace',
    async () => {
      const kubectl = kubectlRunner(kubectlTool.path ?? '/usr/bin/kubectl', cp.kubeconfigPath);
      const applied = await kubectl(['apply', '-f', '-'], { input: manifest('shop') });
      expect(applied.code, applied.stderr).toBe(0);
      await waitFor(
        async () => (await api.get<KubeObjectLike>(PODS, 'running', 'shop')).status,
        'the bound pod to be running',
        10_000,
        50,
      );

      const started = Date.now();
      const deleted = await kubectl(['delete', 'ns', 'shop', '--wait', '--timeout=60s'], {
        timeoutMs: 70_000,
      });
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout).toContain('namespace "shop" deleted');
      const tookMs = Date.now() - started;
      expect(await exists(NAMESPACES, 'shop')).toBe(false);
      for (const res of RESOURCES.filter((x) => x.namespaced && x.plural !== 'events')) {
        expect(
          (await api.list(res, { namespace: 'shop' })).items.map((o) => o.metadata?.name),
          res.plural,
        ).toEqual([]);
      }
      // The bound pod went through graceful deletion (the fake kubelet finished it), not a force delete.
      expect(tookMs).toBeLessThan(30_000);
      const events = (await api.list<CoreEvent>(EVENTS, { namespace: 'default' })).items.filter(
        (e) => e.involvedObject.kind === 'Namespace' && e.involvedObject.name === 'shop',
      );
      expect(events.map((e) => e.reason)).toEqual(
        expect.arrayContaining(['DeletingContent', 'NamespaceFinalized']),
      );
    },
  );

  it('content held by a finalizer keeps the namespace Terminating, with conditions, until released', async () => {
    await api.create(NAMESPACES, { metadata: { name: 'held' } });
    await api.create(CONFIGMAPS, {
      metadata: { name: 'pinned', namespace: 'held', finalizers: [HOLD] },
      data: {},
    });
    await api.create(CONFIGMAPS, { metadata: { name: 'loose', namespace: 'held' }, data: {} });
    await api.delete(NAMESPACES, 'held');

    const ns = await waitFor(
      async () => {
        const n = await api.get<Namespace>(NAMESPACES, 'held');
        return n.status?.conditions?.find(
          (c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True',
        )
          ? n
          : undefined;
      },
      'the finalizer condition',
      10_000,
      50,
    );
    expect(ns.status?.phase).toBe('Terminating');
    const byType = Object.fromEntries((ns.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(byType.NamespaceContentRemaining).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: configmaps. has 1 resource instances',
    });
    expect(byType.NamespaceFinalizersRemaining?.message).toBe(
      `Some content in the namespace has finalizers remaining: ${HOLD} in 1 resource instances`,
    );
    expect(byType.NamespaceDeletionContentFailure).toMatchObject({
      status: 'False',
      reason: 'ContentDeleted',
    });
    expect(await exists(CONFIGMAPS, 'loose', 'held')).toBe(false);

    await api.patch(CONFIGMAPS, 'pinned', 'held', { metadata: { finalizers: null } }, 'merge');
    await waitFor(
      async () => !(await exists(NAMESPACES, 'held')),
      'the namespace to go once released',
      10_000,
      50,
    );
  });
});
