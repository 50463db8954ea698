// Pod churn on the real Docker engine, small: pods arrive in a burst and each is deleted as soon as
// it runs, while the kubelet's engine limiter allows 3 changing calls at once. Every pod must reach
// Running, the limit must hold, and nothing may be left: no containers, no pod-network endpoints, no
// pod folders. (`npm run bench -- pods` does the same at 500 pods and 20/s.)
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kubelet } from '../src-main/agent/kubelet';
import type { Pod } from '../src-main/agent/pods/types';
import { DockerRuntime } from '../src-main/agent/runtime/docker-runtime';
import { ensureTestImages, removeNodeLeftovers, requireDocker, TEST_IMAGE, waitFor } from './support/docker';

const { docker, skipReason } = await requireDocker();
const suffix = `${process.pid}`.slice(-4);
const NODE = `itest-churn-${process.pid}`;
const NETWORK = `flotilla-itest-churn-${process.pid}`;
const BRIDGE = `flch${suffix}`;
const CIDR = `10.245.${100 + (process.pid % 50)}.0/24`;
const PODS = 16;
const LIMIT = 3;

describe.skipIf(!!skipReason)(
  `agent pod churn on a real dockerd${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let rootDir: string;
    let kubelet: Kubelet;
    let runtime: DockerRuntime;
    const desired: Pod[] = [];
    const running = new Set<string>();

    beforeAll(async () => {
      await removeNodeLeftovers(docker!, NODE, NETWORK);
      await ensureTestImages();
      rootDir = await mkdtemp(join(tmpdir(), 'flotilla-agent-churn-'));
      runtime = new DockerRuntime({
        docker: docker!,
        nodeName: NODE,
        podCidr: CIDR,
        networkName: NETWORK,
        bridgeName: BRIDGE,
        engineConcurrency: LIMIT,
      });
      kubelet = new Kubelet({
        nodeName: NODE,
        hostIP: '127.0.0.1',
        runtime,
        rootDir,
        pods: () => desired,
        onStatus: (pod, status) => {
          const name = pod.metadata.name ?? '';
          if (status.phase !== 'Running' || running.has(name)) return;
          running.add(name);
          // Deleted the moment it runs, as the benchmark's churn does (here without an API server:
          // the pod leaves the desired list and the kubelet hears of it).
          const i = desired.findIndex((p) => p.metadata.uid === pod.metadata.uid);
          if (i >= 0) desired.splice(i, 1);
          kubelet.podRemoved(pod.metadata.uid ?? '');
        },
        resyncIntervalMs: 1_000,
        log: (message) => void (process.env.FLOTILLA_TEST_LOG === 'debug' && console.error(message)),
      });
      await kubelet.start();
    });

    afterAll(async () => {
      kubelet?.stop();
      if (docker) await removeNodeLeftovers(docker, NODE, NETWORK);
      if (rootDir) await rm(rootDir, { recursive: true, force: true });
    });

    it(`starts and removes ${PODS} pods with at most ${LIMIT} changing engine calls at once, leaving nothing`, async () => {
      const made: Pod[] = [];
      for (let i = 0; i < PODS; i++) {
        made.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `churn-${i}`,
            namespace: 'default',
            uid: `churn-${i}-${process.pid}-${Date.now()}`,
          },
          spec: {
            nodeName: NODE,
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: 'main',
                image: TEST_IMAGE,
                command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
              },
            ],
          },
        });
      }
      desired.push(...made);
      kubelet.podsChanged(made);

      await waitFor('every pod to reach Running', () => running.size === PODS, 120_000);
      const leftovers = async () => {
        const containers = await docker!.listContainers({
          all: true,
          filters: { label: [`dev.flotilla.node=${NODE}`] },
        });
        const net = (await docker!.getNetwork(NETWORK).inspect()) as Docker.NetworkInspectInfo;
        const podDirs = await readdir(join(rootDir, 'pods')).then(
          (d) => d.length,
          () => 0,
        );
        return {
          containers: containers.length,
          endpoints: Object.keys(net.Containers ?? {}).length,
          podDirs,
        };
      };
      await waitFor(
        'nothing left of the pods',
        async () => {
          const left = await leftovers();
          return left.containers + left.endpoints + left.podDirs === 0 ? left : undefined;
        },
        120_000,
      );
      const stats = runtime.limiter.stats();
      expect(stats.peakActive).toBeGreaterThan(1);
      expect(stats.peakActive).toBeLessThanOrEqual(LIMIT);
      // Every pod's sandbox and app container were created, started, stopped and removed through it.
      expect(stats.completed).toBeGreaterThanOrEqual(PODS * 6);
      expect(stats).toMatchObject({ active: 0, queued: 0 });
    });
  },
);
