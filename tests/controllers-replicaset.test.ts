// The ReplicaSet controller against the real control plane: it creates pods to match replicas,
// replaces a deleted pod, scales down through the scale subresource, adopts a matching orphan,
// releases a pod relabelled out of its selector, writes status and records every decision as an
// Event that kubectl shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { startFakeKubelet } from '../src-main/control-plane/controllers/testing';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { CoreEvent, Pod, ReplicaSet } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import type { KubeApi, Stoppable } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { kubectlRunner } from './support/kubectl';
import { requireTool } from './support/tools';

const kubectlTool = requireTool('/usr/bin/kubectl', 'kubectl v1.32 at /usr/bin/kubectl');
const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const PODS = r('pods');
const REPLICASETS = r('replicasets');
const EVENTS = r('events');
const NS = 'default';

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
let manager: ControllerManager;
let kubelet: Stoppable;

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
  const log = testLogger();
  manager = await startControllerManager({ api, log, controllers: ['replicaset'] });
  kubelet = await startFakeKubelet(api, { readyAfterMs: 20 });
});

afterAll(async () => {
  kubelet?.stop();
  await manager?.stop();
  transport?.close();
  await cp?.dispose();
});

const owned = (rs: ReplicaSet) => async () =>
  (await api.list<Pod>(PODS, { namespace: NS, labelSelector: 'app=cache' })).items.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.metadata.ownerReferences?.some((o) => o.uid === rs.metadata.uid && o.controller),
  );

async function rsStatus(name: string, want: Partial<NonNullable<ReplicaSet['status']>>): Promise<ReplicaSet> {
  return waitFor(
    async () => {
      const rs = await api.get<ReplicaSet>(REPLICASETS, name, NS);
      return Object.entries(want).every(
        ([k, v]) => (rs.status as Record<string, unknown> | undefined)?.[k] === v,
      )
        ? rs
        : undefined;
    },
    `replicaset ${name} status ${JSON.stringify(want)}`,
    15_000,
  );
}

async function eventMessages(name: string): Promise<string[]> {
  const events = (await api.list<CoreEvent>(EVENTS, { namespace: NS })).items;
  return events
    .filter((e) => e.involvedObject.kind === 'ReplicaSet' && e.involvedObject.name === name)
    .map((e) => `${e.reason}: ${e.message}`);
}

describe('ReplicaSet controller against the real API server', () => {
  let rs: ReplicaSet;

  it('creates pods to match replicas and reports them ready and available', async () => {
    rs = await api.create<ReplicaSet>(REPLICASETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'cache', namespace: NS },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'cache' } },
        template: {
          metadata: { labels: { app: 'cache', tier: 'db' } },
          spec: { containers: [{ name: 'redis', image: 'redis:7' }] },
        },
      },
    });
    const status = (
      await rsStatus('cache', {
        replicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        fullyLabeledReplicas: 3,
      })
    ).status;
    expect(status?.observedGeneration).toBe(rs.metadata.generation);
    const pods = await owned(rs)();
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^cache-[a-z0-9]{5}$/);
      expect(p.metadata.labels).toEqual({ app: 'cache', tier: 'db' });
    }
    const messages = await waitFor(async () => {
      const m = await eventMessages('cache');
      return m.filter((x) => x.startsWith('SuccessfulCreate: Created pod: cache-')).length === 3
        ? m
        : undefined;
    }, 'three SuccessfulCreate events');
    for (const p of pods) expect(messages).toContain(`SuccessfulCreate: Created pod: ${p.metadata.name}`);
  });

  it('replaces a deleted pod', async () => {
    const before = await owned(rs)();
    const victim = before[0] as Pod;
    await api.delete(PODS, victim.metadata.name ?? '', NS);
    const after = await waitFor(async () => {
      const pods = await owned(rs)();
      return pods.length === 3 && !pods.some((p) => p.metadata.name === victim.metadata.name)
        ? pods
        : undefined;
    }, 'a replacement pod');
    const replacement = after.find((p) => !before.some((b) => b.metadata.name === p.metadata.name)) as Pod;
    expect(replacement).toBeDefined();
    await waitFor(
      async () =>
        (await eventMessages('cache')).includes(
          `SuccessfulCreate: Created pod: ${replacement.metadata.name}`,
        ),
      'the replacement event',
    );
    await rsStatus('cache', { replicas: 3, readyReplicas: 3 });
  });

  it('scales down through the scale subresource, deleting pods with events', async () => {
    await api.patch(REPLICASETS, 'cache', NS, { spec: { replicas: 1 } }, 'merge', 'scale');
    await waitFor(async () => (await owned(rs)()).length === 1, 'one pod left');
    await rsStatus('cache', { replicas: 1 });
    const deletes = await waitFor(async () => {
      const m = (await eventMessages('cache')).filter((x) =>
        x.startsWith('SuccessfulDelete: Deleted pod: cache-'),
      );
      return m.length === 2 ? m : undefined;
    }, 'two SuccessfulDelete events');
    expect(deletes).toHaveLength(2);
  });

  it('adopts a matching orphan and releases a pod that stops matching', async () => {
    const orphan = await api.create<Pod>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', namespace: NS, labels: { app: 'cache' } },
      spec: { containers: [{ name: 'redis', image: 'redis:7' }] },
    });
    // Adopted (it gains the controller reference) — and, being one too many, one pod is then deleted.
    await waitFor(async () => {
      const pods = (await api.list<Pod>(PODS, { namespace: NS, labelSelector: 'app=cache' })).items;
      const stray = pods.find((p) => p.metadata.name === 'stray');
      const adopted = !stray || stray.metadata.ownerReferences?.some((o) => o.uid === rs.metadata.uid);
      return adopted && (await owned(rs)()).length === 1;
    }, 'the orphan adopted and the count back to 1');
    // Events are written in the background: wait for the third delete to be recorded.
    await waitFor(
      async () => (await eventMessages('cache')).filter((m) => m.startsWith('SuccessfulDelete')).length === 3,
      'a third SuccessfulDelete',
    );
    expect(orphan.metadata.ownerReferences).toBeUndefined();

    // Relabel the remaining pod out of the selector: it is released and replaced.
    const [kept] = await owned(rs)();
    await api.patch(
      PODS,
      kept?.metadata.name ?? '',
      NS,
      { metadata: { labels: { app: 'elsewhere' } } },
      'merge',
    );
    await waitFor(async () => {
      const released = await api.get<Pod>(PODS, kept?.metadata.name ?? '', NS);
      const pods = await owned(rs)();
      return (
        !(released.metadata.ownerReferences ?? []).some((o) => o.uid === rs.metadata.uid) &&
        pods.length === 1 &&
        pods[0]?.metadata.name !== kept?.metadata.name
      );
    }, 'the relabelled pod released and replaced');
  });

  it.skipIf(Boolean(kubectlTool.skipReason))('kubectl shows the events and the status', async () => {
    const kubectl = kubectlRunner(kubectlTool.path ?? '/usr/bin/kubectl', cp.kubeconfigPath);
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=cache']);
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout).toMatch(/SuccessfulCreate\s+replicaset\/cache\s+Created pod: cache-/);
    expect(events.stdout).toMatch(/SuccessfulDelete\s+replicaset\/cache\s+Deleted pod: /);
    const get = await kubectl(['get', 'rs', 'cache']);
    expect(get.stdout).toMatch(/cache\s+1\s+1\s+[01]\s+/);
  });
});
