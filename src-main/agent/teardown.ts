// Node removal without the API server: removes every container this node's agent made (found by
// their labels), the pod network, pod volumes and the service proxy's iptables rules. Idempotent, so
// `flotilla node remove` can run it again after a partial failure.
import Docker from 'dockerode';
import type { AgentConfig } from './config';
import { Kubelet } from './kubelet';
import { ServiceProxy } from './network/service-proxy';
import { removePodRoutes } from './network/routes';
import type { Iptables } from './network/iptables';
import { createKubeApi } from '../shared/kube/client';
import { DockerRuntime } from './runtime/docker-runtime';
import { dockerOptions } from './docker-host';

export async function teardownNode(
  config: Omit<AgentConfig, 'clientCertPem' | 'clientKeyPem'>,
  deps: { docker?: Docker; iptables?: Iptables; log?: (m: string) => void } = {},
): Promise<void> {
  const log = deps.log ?? (() => undefined);
  const docker = deps.docker ?? new Docker(dockerOptions(config.dockerHost));
  // The runtime needs a CIDR to allocate from; nothing is allocated here, so the network's own (or any) will do.
  let podCidr = '10.244.0.0/24';
  try {
    const net = (await docker.getNetwork(config.networkName).inspect()) as Docker.NetworkInspectInfo;
    podCidr = net.IPAM?.Config?.[0]?.Subnet ?? podCidr;
  } catch {
    // no network: only containers and rules may be left
  }
  const runtime = new DockerRuntime({
    docker,
    nodeName: config.nodeName,
    podCidr,
    networkName: config.networkName,
    bridgeName: config.bridgeName,
  });
  const kubelet = new Kubelet({
    nodeName: config.nodeName,
    hostIP: '127.0.0.1',
    runtime,
    rootDir: config.rootDir,
    pods: () => [],
  });
  await kubelet.teardown();
  log(`removed the containers and pod network ${config.networkName} of node ${config.nodeName}`);
  if (config.proxy.enabled && process.getuid?.() === 0) {
    const proxy = new ServiceProxy({
      // Never called: uninstall() works from iptables alone.
      api: createKubeApi({
        request: () => Promise.reject(new Error('offline')),
        stream: () => Promise.reject(new Error('offline')),
      }),
      prefix: config.proxy.chainPrefix,
      masqueradeBit: config.proxy.masqueradeBit,
      clusterCIDR: config.clusterCIDR,
      bridgeName: config.bridgeName,
      ...(deps.iptables ? { iptables: deps.iptables } : {}),
    });
    await proxy.uninstall();
    log(`removed the ${config.proxy.chainPrefix}-* iptables chains`);
    const removed = await removePodRoutes({
      clusterCIDR: config.clusterCIDR,
      masqueradeBit: config.proxy.masqueradeBit,
      ...(deps.iptables ? { iptables: deps.iptables } : {}),
    });
    log(`removed ${removed} route(s) to other nodes' pods and the pod-to-pod NAT exemption`);
  }
}
