// Node IPAM (kube-controller-manager's nodeipam controller with the range allocator): every Node gets
// a pod CIDR (`spec.podCIDR` / `spec.podCIDRs`) out of the cluster CIDR if it has none.
// - Restart-safe: the pool is rebuilt from the CIDRs existing Nodes carry before any node is handled.
// - Never doubled: subnets are taken from the pool synchronously (one JS turn), so concurrent node
//   creates cannot get the same one; the write is a JSON patch guarded by the node's uid and
//   resourceVersion (and the API server refuses to change a podCIDR once set), so a second allocator
//   racing with this one fails instead of overwriting.
// - Released when the Node is deleted; nodes waiting for a subnet are retried when one frees up.
import type { KubeObjectLike } from '../../../shared/kube/types';
import { isKubeApiError } from '../../../shared/kube/types';
import type { ControllerContext } from '../framework/context';
import { createQueueController } from '../framework/controller';
import type { Controller } from '../framework/controller';
import { NODES } from '../framework/resources';
import type { Node } from '../../../shared/kube/objects';
import { createCidrSet } from './cidr-set';

export const NODE_IPAM_CONTROLLER = 'node-ipam-controller';

export interface NodeIpamOptions {
  /** The range pod CIDRs are carved from (default 10.244.0.0/16). */
  clusterCIDR?: string;
  /** Prefix length of each node's pod CIDR (default 24: 254 pod IPs per node, 256 nodes in a /16). */
  nodeCIDRMaskSize?: number;
}

export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

export function podCidrOf(node: Node): string | undefined {
  return node.spec?.podCIDRs?.[0] || node.spec?.podCIDR || undefined;
}

export function createNodeIpamController(ctx: ControllerContext, options: NodeIpamOptions = {}): Controller {
  const cidrs = createCidrSet(
    options.clusterCIDR ?? DEFAULT_CLUSTER_CIDR,
    options.nodeCIDRMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE,
  );
  const log = ctx.log.child(NODE_IPAM_CONTROLLER);
  const recorder = ctx.recorder(NODE_IPAM_CONTROLLER);
  const nodeInformer = ctx.informers.informerFor<Node>(NODES);
  /** The subnet each node holds or has been promised (allocated, write not yet seen). */
  const held = new Map<string, string>();
  const nodeRef = (node: Node): KubeObjectLike => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.metadata.name, uid: node.metadata.uid },
  });

  const controller = createQueueController({
    name: NODE_IPAM_CONTROLLER,
    workers: ctx.workers ?? 2,
    log,
    clock: ctx.clock,
    waitForCaches: () => ctx.informers.start(),
    reconcile: sync,
  });
  const queue = controller.queue;

  function observe(node: Node): void {
    const name = node.metadata.name;
    const cidr = podCidrOf(node);
    if (!cidr) {
      queue.add(name);
      return;
    }
    const before = held.get(name);
    if (before === cidr) return;
    // Someone else (another allocator, the user) set a different subnet than we promised: take theirs.
    if (before) cidrs.release(before);
    if (!cidrs.occupy(cidr)) log.debug('node pod CIDR is outside the cluster CIDR', { node: name, cidr });
    held.set(name, cidr);
  }

  nodeInformer.addHandlers({
    onAdd: observe,
    onUpdate: (_old, node) => observe(node),
    onDelete(node) {
      const name = node.metadata.name;
      const cidr = held.get(name);
      held.delete(name);
      if (!cidr) return;
      cidrs.release(cidr);
      log.info('released pod CIDR', { node: name, cidr });
      // A subnet is free again: nodes that were waiting for one get their turn.
      for (const other of nodeInformer.lister.list()) if (!podCidrOf(other)) queue.add(other.metadata.name);
    },
  });

  async function sync(name: string): Promise<void> {
    const node = nodeInformer.lister.get(name);
    if (!node || podCidrOf(node) || node.metadata.deletionTimestamp) return;
    let cidr = held.get(name);
    if (!cidr) {
      cidr = cidrs.allocateNext();
      if (!cidr) {
        recorder.event(
          nodeRef(node),
          'Warning',
          'CIDRAssignmentFailed',
          `Node ${name}: no remaining pod CIDRs in ${cidrs.clusterCidr} (all ${cidrs.capacity} are in use)`,
        );
        return; // retried when a node is deleted
      }
      held.set(name, cidr);
    }
    try {
      await ctx.api.patch(
        NODES,
        name,
        undefined,
        [
          { op: 'test', path: '/metadata/uid', value: node.metadata.uid },
          { op: 'test', path: '/metadata/resourceVersion', value: node.metadata.resourceVersion },
          { op: 'add', path: '/spec/podCIDR', value: cidr },
          { op: 'add', path: '/spec/podCIDRs', value: [cidr] },
        ],
        'json',
      );
    } catch (err) {
      if (isKubeApiError(err, 404)) {
        if (held.get(name) === cidr) {
          held.delete(name);
          cidrs.release(cidr);
        }
        return;
      }
      // A conflict (the node changed, or got a CIDR elsewhere): keep the promise and retry from the
      // fresh cache; if it did get another CIDR, observe() swaps ours back into the pool.
      throw err;
    }
    log.info('assigned pod CIDR', { node: name, cidr });
    recorder.event(nodeRef(node), 'Normal', 'CIDRAssigned', `Assigned pod CIDR ${cidr} to node ${name}`);
  }

  return controller;
}
