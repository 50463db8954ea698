// Nodes (core/v1, cluster-scoped): registered by the agent with their status; validated like ValidateNode /
// ValidateNodeUpdate (pod CIDRs and provider ID may only be set once).
import type { StatusCause } from '../../../shared/status';
import { isQualifiedName, isValidCIDR, isValidLabelValue } from '../../../shared/validation';
import { canonicalizeResourceList, validateResourceList } from './common/container';
import { duplicate, FieldPath, forbidden, invalid } from './common/field';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { AGE_COLUMN, column, NAME_COLUMN, since } from './common/print';
import { validateTaintEffect } from './common/scheduling';
import { keepOldStatus, resourceOf, type FlotillaStrategy } from './common/strategy';
import { clone, deepEqualJson, list, rec, recList, str, type Json } from './common/util';
import type { KubeObject } from './types';

const SPEC = FieldPath.root('spec');

function defaults(obj: KubeObject): void {
  const spec = (obj.spec ??= {});
  // podCIDR is podCIDRs[0] seen through the older field.
  const cidrs = list(spec.podCIDRs);
  if (str(spec.podCIDR) !== '' && cidrs.length === 0) spec.podCIDRs = [spec.podCIDR];
  else if (str(spec.podCIDR) === '' && cidrs.length > 0) spec.podCIDR = String(cidrs[0]);
  const status = rec(obj.status);
  if (status) {
    canonicalizeResourceList(status.capacity);
    canonicalizeResourceList(status.allocatable);
    if (status.allocatable === undefined && rec(status.capacity)) status.allocatable = clone(status.capacity);
  }
}

function validateTaints(taints: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  recList(taints).forEach((t, i) => {
    const p = SPEC.child('taints').index(i);
    const key = str(t.key);
    for (const m of isQualifiedName(key)) out.push(invalid(p.child('key'), key, m));
    const value = str(t.value);
    const valueErrs = isValidLabelValue(value);
    if (valueErrs.length > 0) out.push(invalid(p.child('value'), value, valueErrs.join(';')));
    out.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const k = `${key}\u0000${str(t.effect)}`;
    if (seen.has(k)) {
      const d = duplicate(p, t);
      out.push({ ...d, message: `${d.message}: taints must be unique by key and effect pair` });
    }
    seen.add(k);
  });
  return out;
}

function validateNode(obj: KubeObject): StatusCause[] {
  const spec = (obj.spec ?? {}) as Json;
  const out = validateTaints(spec.taints);
  const cidrs = list(spec.podCIDRs).map(String);
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(c)) out.push(invalid(SPEC.child('podCIDRs').index(i), c, m));
  });
  if (cidrs.length > 2 || (cidrs.length === 2 && cidrs[0]?.includes(':') === cidrs[1]?.includes(':'))) {
    out.push(invalid(SPEC.child('podCIDRs'), cidrs, 'may specify no more than one CIDR for each IP family'));
  }
  const status = (obj.status ?? {}) as Json;
  out.push(...validateResourceList(status.capacity, FieldPath.root('status', 'capacity')));
  out.push(...validateResourceList(status.allocatable, FieldPath.root('status', 'allocatable')));
  return out;
}

function validateUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const out = [...validateObjectMetaUpdate(obj, old), ...validateNode(obj)];
  const spec = (obj.spec ?? {}) as Json;
  const oldSpec = (old.spec ?? {}) as Json;
  const addresses = recList(rec(obj.status)?.addresses);
  addresses.forEach((a, i) => {
    if (addresses.findIndex((b) => deepEqualJson(a, b)) !== i)
      out.push(duplicate(FieldPath.root('status', 'addresses').index(i), a));
  });
  const oldCIDRs = list(oldSpec.podCIDRs).map(String);
  const cidrs = list(spec.podCIDRs).map(String);
  if (oldCIDRs.length > 0 && (oldCIDRs.length !== cidrs.length || oldCIDRs.some((c, i) => c !== cidrs[i]))) {
    out.push(
      forbidden(SPEC.child('podCIDRs'), 'node updates may not change podCIDR except from "" to valid'),
    );
  }
  if (str(oldSpec.providerID) !== '' && oldSpec.providerID !== spec.providerID) {
    out.push(
      forbidden(SPEC.child('providerID'), 'node updates may not change providerID except from "" to valid'),
    );
  }
  return out;
}

/** The Status cell: Ready / NotReady / Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatusCell(obj: KubeObject): string {
  const status = (obj.status ?? {}) as Json;
  const ready = recList(status.conditions).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (rec(obj.spec)?.unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` value, sorted. */
export function nodeRoles(labels: Record<string, string> | undefined): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function address(status: Json, type: string): string {
  return str(recList(status.addresses).find((a) => a.type === type)?.address) || '<none>';
}

export const nodeStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'nodes'),
  defaults,
  prepareForUpdate: keepOldStatus,
  validateCreate: (obj) => [...validateObjectMeta(obj, { namespaced: false }), ...validateNode(obj)],
  validateUpdate,
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    column(
      'OS-Image',
      'string',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      1,
    ),
    column(
      'Kernel-Version',
      'string',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      1,
    ),
    column(
      'Container-Runtime',
      'string',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      1,
    ),
  ],
  row(obj, now) {
    const status = (obj.status ?? {}) as Json;
    const info = rec(status.nodeInfo) ?? {};
    return [
      obj.metadata?.name ?? '',
      nodeStatusCell(obj),
      nodeRoles(obj.metadata?.labels),
      since(obj.metadata?.creationTimestamp, now),
      str(info.kubeletVersion),
      address(status, 'InternalIP'),
      address(status, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
  fieldSelectors: {
    'spec.unschedulable': (o) => String(rec(o.spec)?.unschedulable === true),
  },
};
