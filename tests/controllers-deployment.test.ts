// The Deployment and ReplicaSet controllers against the real control plane: a scale-up, a rolling
// update whose maxSurge/maxUnavailable limits are checked on every pod event of a watch (not only at
// the end), pause/resume, and `kubectl rollout status/history/undo` with the real kubectl. No
// scheduler or kubelet runs here: a fake kubelet marks pods Ready through the status subresource.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApiFromKubeconfig } from '../src-main/control-plane/client/kubeconfig';
import { startControllerManager } from '../src-main/control-plane/controllers';
import type { ControllerManager } from '../src-main/control-plane/controllers';
import { startFakeKubelet } from '../src-main/control-plane/controllers/testing';
import type { NodeTransport } from '../src-main/shared/node/https-transport';
import type { CoreEvent, Deployment, Pod, ReplicaSet } from '../src-main/shared/kube/objects';
import { waitFor } from '../src-main/shared/kube/testing';
import type { KubeApi, Stoppable, WatchEvent } from '../src-main/shared/kube/types';
import { RESOURCES } from '../src-main/shared/resources';
import type { ResourceInfo } from '../src-main/shared/resources';
import { startTestControlPlane, testLogger } from './support/control-plane';
import type { TestControlPlane } from './support/control-plane';
import { kubectlRunner } from './support/kubectl';
import { requireTool } from './support/tools';

const kubectlTool = requireTool('/usr/bin/kubectl', 'kubectl v1.32 at /usr/bin/kubectl');
const r = (plural: string) => RESOURCES.find((x) => x.plural === plural) as ResourceInfo;
const PODS = r('pods');
const DEPLOYMENTS = r('deployments');
const REPLICASETS = r('replicasets');
const EVENTS = r('events');
const NS = 'default';

let cp: TestControlPlane;
let api: KubeApi;
let transport: NodeTransport;
let manager: ControllerManager;
let kubelet: Stoppable;
let kubectl: ReturnType<typeof kubectlRunner>;

beforeAll(async () => {
  cp = await startTestControlPlane();
  ({ api, transport } = await kubeApiFromKubeconfig(cp.kubeconfigPath));
  const log = testLogger();
  manager = await startControllerManager({ api, log, controllers: ['replicaset', 'deployment'] });
  // Pods become Ready 50-250 ms after they appear, so the rollout really has to wait for them.
  kubelet = await startFakeKubelet(api, { readyAfterMs: () => 50 + Math.floor(Math.random() * 200) });
  kubectl = kubectlRunner(kubectlTool.path ?? '/usr/bin/kubectl', cp.kubeconfigPath);
});

afterAll(async () => {
  kubelet?.stop();
  await manager?.stop();
  transport?.close();
  await cp?.dispose();
});

function deployment(
  name: string,
  replicas: number,
  image: string,
  strategy: Deployment['spec']['strategy'],
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy,
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image }] },
      },
    },
  };
}

async function rolloutComplete(name: string): Promise<Deployment> {
  return waitFor(
    async () => {
      const d = await api.get<Deployment>(DEPLOYMENTS, name, NS);
      const s = d.status ?? {};
      const want = d.spec.replicas ?? 1;
      const progressing = s.conditions?.find((c) => c.type === 'Progressing');
      return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
        s.updatedReplicas === want &&
        s.replicas === want &&
        s.availableReplicas === want &&
        progressing?.reason === 'NewReplicaSetAvailable'
        ? d
        : undefined;
    },
    `deployment ${name} to finish its rollout`,
    30_000,
    20,
  );
}

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe.skipIf(Boolean(kubectlTool.skipReason))('Deployment controller against the real API server', () => {
  it('scales a Deployment of 6 up and reports it available', async () => {
    await api.create(
      DEPLOYMENTS,
      deployment('web', 6, 'nginx:1', {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 2, maxUnavailable: 1 },
      }),
    );
    const d = await rolloutComplete('web');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({
      replicas: 6,
      updatedReplicas: 6,
      readyReplicas: 6,
      availableReplicas: 6,
      unavailableReplicas: 0,
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
    const rsList = (await api.list<ReplicaSet>(REPLICASETS, { namespace: NS, labelSelector: 'app=web' }))
      .items;
    expect(rsList).toHaveLength(1);
    const rs = rsList[0] as ReplicaSet;
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });
    expect(rs.status).toMatchObject({
      replicas: 6,
      readyReplicas: 6,
      availableReplicas: 6,
      fullyLabeledReplicas: 6,
    });
    const pods = (await api.list<Pod>(PODS, { namespace: NS, labelSelector: 'app=web' })).items;
    expect(pods).toHaveLength(6);
    for (const p of pods) {
      expect(p.metadata.labels?.['pod-template-hash']).toBe(hash);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: rs.metadata.name,
        uid: rs.metadata.uid,
        controller: true,
      });
    }
    const status = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=20s']);
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
  });

  it('rolls out a new template within maxSurge/maxUnavailable at every moment', async () => {
    const replicas = 6;
    const surge = 2;
    const unavailable = 1;
    // Watch pods from now on and check the limits on every single event.
    const pods = new Map<string, Pod>();
    const listed = await api.list<Pod>(PODS, { namespace: NS, labelSelector: 'app=web' });
    for (const p of listed.items) pods.set(p.metadata.name ?? '', p);
    const violations: string[] = [];
    let maxTotal = 0;
    let minAvailable = Infinity;
    let events = 0;
    const abort = new AbortController();
    const watching = api.watch<Pod>(
      PODS,
      {
        namespace: NS,
        labelSelector: 'app=web',
        resourceVersion: listed.metadata.resourceVersion,
        signal: abort.signal,
      },
      (e: WatchEvent<Pod>) => {
        if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
        events++;
        if (e.type === 'DELETED') pods.delete(e.object.metadata.name ?? '');
        else pods.set(e.object.metadata.name ?? '', e.object);
        const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp);
        const ready = live.filter(isReady).length;
        maxTotal = Math.max(maxTotal, live.length);
        minAvailable = Math.min(minAvailable, ready);
        if (live.length > replicas + surge)
          violations.push(
            `${live.length} pods exist (limit ${replicas + surge}) at RV ${e.object.metadata.resourceVersion}`,
          );
        if (ready < replicas - unavailable)
          violations.push(
            `only ${ready} pods ready (need ${replicas - unavailable}) at RV ${e.object.metadata.resourceVersion}`,
          );
      },
    );

    const set = await kubectl(['set', 'image', 'deployment/web', 'main=nginx:2']);
    expect(set.code, set.stderr).toBe(0);
    const status = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('successfully rolled out');
    await rolloutComplete('web');
    // Let the last pod events reach the watch before judging.
    await waitFor(
      () =>
        [...pods.values()].filter(
          (p) => (p.spec?.containers as { image: string }[])[0]?.image === 'nginx:2' && isReady(p),
        ).length === replicas && pods.size === replicas,
      'watch to see the final pods',
    );
    abort.abort();
    await watching;

    expect(violations).toEqual([]);
    // The rollout really used its room: it surged above 6 and dipped below 6 ready at some point.
    expect(maxTotal).toBeGreaterThan(replicas);
    expect(maxTotal).toBeLessThanOrEqual(replicas + surge);
    expect(minAvailable).toBeGreaterThanOrEqual(replicas - unavailable);
    expect(events).toBeGreaterThanOrEqual(3 * replicas);

    const d = await api.get<Deployment>(DEPLOYMENTS, 'web', NS);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const rsList = (await api.list<ReplicaSet>(REPLICASETS, { namespace: NS, labelSelector: 'app=web' }))
      .items;
    expect(
      rsList
        .map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec.replicas])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 6],
    ]);
    const evs = (await api.list<CoreEvent>(EVENTS, { namespace: NS })).items.filter(
      (e) => e.involvedObject.name === 'web',
    );
    const messages = evs.map((e) => e.message ?? '');
    expect(messages.some((m) => /^Scaled up replica set web-\w+ from 0 to [12]$/.test(m))).toBe(true);
    expect(messages.some((m) => /^Scaled down replica set web-\w+ from 6 to \d$/.test(m))).toBe(true);
    expect(
      evs.every((e) => e.reason === 'ScalingReplicaSet' && e.source?.component === 'deployment-controller'),
    ).toBe(true);
  });

  it('kubectl rollout history and undo go back to the previous template', async () => {
    const history = await kubectl(['rollout', 'history', 'deployment/web']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\s*\n1\s+<none>\s*\n2\s+<none>/);

    const undo = await kubectl(['rollout', 'undo', 'deployment/web']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain('deployment.apps/web rolled back');
    const status = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(status.code, status.stderr).toBe(0);
    const d = await rolloutComplete('web');
    expect((d.spec.template.spec?.containers as { image: string }[])[0]?.image).toBe('nginx:1');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    // The first ReplicaSet was reused (not a third one made) and now carries revision 3.
    const rsList = (await api.list<ReplicaSet>(REPLICASETS, { namespace: NS, labelSelector: 'app=web' }))
      .items;
    expect(rsList).toHaveLength(2);
    const back = rsList.find((rs) => rs.spec.replicas === 6) as ReplicaSet;
    expect(back.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    const after = await kubectl(['rollout', 'history', 'deployment/web']);
    expect(after.stdout).toMatch(/\n2\s+<none>\s*\n3\s+<none>/);
  });

  it('kubectl rollout pause holds a template change until resume', async () => {
    const pause = await kubectl(['rollout', 'pause', 'deployment/web']);
    expect(pause.code, pause.stderr).toBe(0);
    await waitFor(async () => {
      const d = await api.get<Deployment>(DEPLOYMENTS, 'web', NS);
      return d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused';
    }, 'the Paused condition');
    const set = await kubectl(['set', 'image', 'deployment/web', 'main=nginx:3']);
    expect(set.code, set.stderr).toBe(0);
    // The controller has seen the change (observedGeneration) and still made no new ReplicaSet.
    await waitFor(async () => {
      const d = await api.get<Deployment>(DEPLOYMENTS, 'web', NS);
      return (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
    }, 'the paused change to be observed');
    expect(
      (await api.list<ReplicaSet>(REPLICASETS, { namespace: NS, labelSelector: 'app=web' })).items,
    ).toHaveLength(2);

    const resume = await kubectl(['rollout', 'resume', 'deployment/web']);
    expect(resume.code, resume.stderr).toBe(0);
    const status = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(status.code, status.stderr).toBe(0);
    const d = await rolloutComplete('web');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('Recreate stops every old pod before starting new ones', async () => {
    await api.create(DEPLOYMENTS, deployment('batch', 3, 'busybox:1', { type: 'Recreate' }));
    await rolloutComplete('batch');
    const seen: { type: string; hash: string }[] = [];
    const listed = await api.list<Pod>(PODS, { namespace: NS, labelSelector: 'app=batch' });
    const abort = new AbortController();
    const watching = api.watch<Pod>(
      PODS,
      {
        namespace: NS,
        labelSelector: 'app=batch',
        resourceVersion: listed.metadata.resourceVersion,
        signal: abort.signal,
      },
      (e) => {
        if (e.type === 'ADDED' || e.type === 'DELETED')
          seen.push({ type: e.type, hash: e.object.metadata.labels?.['pod-template-hash'] ?? '' });
      },
    );
    await api.patch(
      DEPLOYMENTS,
      'batch',
      NS,
      { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } } } },
      'strategic',
    );
    await rolloutComplete('batch');
    await waitFor(() => seen.filter((s) => s.type === 'ADDED').length === 3, 'three new pods');
    abort.abort();
    await watching;
    const firstAdd = seen.findIndex((s) => s.type === 'ADDED');
    expect(seen.slice(0, firstAdd).map((s) => s.type)).toEqual(['DELETED', 'DELETED', 'DELETED']);
  });
});
