// Pod specs and pod templates: defaulting (SetDefaults_PodSpec, _Volume and friends) and validation
// (ValidatePodSpec, ValidatePodTemplateSpec), shared by Pods, ReplicaSets, Deployments and DaemonSets.
import type { StatusCause } from '../../../../shared/status';
import { isDNS1123Label, isDNS1123Subdomain } from '../../../../shared/validation';
import { defaultContainer, defaultRequestsFromLimits, validateContainer } from './container';
import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
  validateNonnegative,
  type FieldPath,
} from './field';
import { validateAnnotations, validateLabels } from './meta';
import { validateAffinity, validateTolerations } from './scheduling';
import { ensureRec, isRecord, list, rec, recList, setDefault, str, type Json } from './util';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
const MAX_INT32 = 2147483647;

/** The volume sources Kubernetes knows; a volume must name exactly one. */
export const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;

function defaultVolume(v: Json): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  for (const src of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const s = rec(v[src]);
    if (s) setDefault(s, 'defaultMode', 420);
  }
  const hostPath = rec(v.hostPath);
  if (hostPath) setDefault(hostPath, 'type', '');
  for (const item of recList(rec(v.downwardAPI)?.items)) {
    const fieldRef = rec(item.fieldRef);
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
}

/** SetDefaults_PodSpec and everything under it; `forPod` adds what only Pods (not templates) get. */
export function defaultPodSpec(spec: Json, forPod: boolean): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isRecord(spec.securityContext)) spec.securityContext = {};
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...recList(spec.containers), ...recList(spec.initContainers)]) {
    defaultContainer(c, hostNetwork);
    if (forPod) defaultRequestsFromLimits(c);
  }
  for (const v of recList(spec.volumes)) defaultVolume(v);
  if (forPod && spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
}

/** Pod templates (spec.template of workloads): template metadata is left alone, the spec is defaulted. */
export function defaultPodTemplate(template: unknown): void {
  const t = rec(template);
  if (!t) return;
  defaultPodSpec(ensureRec(t, 'spec'), false);
}

function validateVolumes(volumes: unknown, path: FieldPath): { causes: StatusCause[]; names: Set<string> } {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  list(volumes).forEach((v, i) => {
    if (!isRecord(v)) return;
    const ip = path.index(i);
    const name = str(v.name);
    if (name === '') causes.push(required(ip.child('name')));
    else {
      for (const m of isDNS1123Label(name)) causes.push(invalid(ip.child('name'), name, m));
      if (names.has(name)) causes.push(duplicate(ip.child('name'), name));
    }
    names.add(name);
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) causes.push(required(ip, 'must specify a volume type'));
    for (const extra of sources.slice(1))
      causes.push(forbidden(ip.child(extra), 'may not specify more than 1 volume type'));
    const hostPath = rec(v.hostPath);
    if (hostPath && !str(hostPath.path)) causes.push(required(ip.child('hostPath', 'path')));
    const secret = rec(v.secret);
    if (secret && !str(secret.secretName)) causes.push(required(ip.child('secret', 'secretName')));
    const configMap = rec(v.configMap);
    if (configMap && !str(configMap.name)) causes.push(required(ip.child('configMap', 'name')));
    const pvc = rec(v.persistentVolumeClaim);
    if (pvc && !str(pvc.claimName)) causes.push(required(ip.child('persistentVolumeClaim', 'claimName')));
  });
  return { causes, names };
}

/** validateRestartPolicy */
export function validateRestartPolicy(policy: unknown, path: FieldPath): StatusCause[] {
  const p = str(policy);
  if (p === '') return [required(path)];
  return (RESTART_POLICIES as readonly string[]).includes(p) ? [] : [notSupported(path, p, RESTART_POLICIES)];
}

/** ValidatePodSpec */
export function validatePodSpec(spec: unknown, path: FieldPath): StatusCause[] {
  const s = rec(spec) ?? {};
  const out: StatusCause[] = [];
  const { causes, names: volumes } = validateVolumes(s.volumes, path.child('volumes'));
  out.push(...causes);

  const hostNetwork = s.hostNetwork === true;
  const containers = list(s.containers);
  if (containers.length === 0) out.push(required(path.child('containers')));
  const containerNames = new Set<string>();
  const checkContainers = (items: unknown[], p: FieldPath, init: boolean) =>
    items.forEach((c, i) => {
      if (!isRecord(c)) return;
      const ip = p.index(i);
      out.push(...validateContainer(c, ip, { volumes, hostNetwork, init }));
      const name = str(c.name);
      if (name !== '' && containerNames.has(name)) out.push(duplicate(ip.child('name'), name));
      containerNames.add(name);
    });
  checkContainers(list(s.initContainers), path.child('initContainers'), true);
  checkContainers(containers, path.child('containers'), false);

  out.push(...validateRestartPolicy(s.restartPolicy, path.child('restartPolicy')));
  const dnsPolicy = str(s.dnsPolicy);
  if (dnsPolicy === '') out.push(required(path.child('dnsPolicy')));
  else if (!(DNS_POLICIES as readonly string[]).includes(dnsPolicy)) {
    out.push(notSupported(path.child('dnsPolicy'), dnsPolicy, DNS_POLICIES));
  } else if (dnsPolicy === 'None' && !isRecord(s.dnsConfig)) {
    out.push(required(path.child('dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }

  out.push(...validateLabels(s.nodeSelector, path.child('nodeSelector')));
  for (const field of ['serviceAccountName', 'nodeName']) {
    const v = str(s[field]);
    if (v !== '') for (const m of isDNS1123Subdomain(v)) out.push(invalid(path.child(field), v, m));
  }
  for (const field of ['hostname', 'subdomain']) {
    const v = str(s[field]);
    if (v !== '') for (const m of isDNS1123Label(v)) out.push(invalid(path.child(field), v, m));
  }
  const ads = s.activeDeadlineSeconds;
  if (typeof ads === 'number' && (ads < 1 || ads > MAX_INT32)) {
    out.push(
      invalid(path.child('activeDeadlineSeconds'), ads, `must be between 1 and ${MAX_INT32}, inclusive`),
    );
  }
  out.push(
    ...validateNonnegative(s.terminationGracePeriodSeconds, path.child('terminationGracePeriodSeconds')),
  );
  out.push(...validateTolerations(s.tolerations, path.child('tolerations')));
  out.push(...validateAffinity(s.affinity, path.child('affinity')));
  const schedulerName = str(s.schedulerName);
  if (schedulerName !== '') {
    for (const m of isDNS1123Subdomain(schedulerName))
      out.push(invalid(path.child('schedulerName'), schedulerName, m));
  }
  return out;
}

/** ValidatePodTemplateSpec: template labels/annotations and the spec, under `path` (e.g. `spec.template`). */
export function validatePodTemplateSpec(template: unknown, path: FieldPath): StatusCause[] {
  const t = rec(template);
  if (!t) return [required(path)];
  const meta = rec(t.metadata) ?? {};
  return [
    ...validateLabels(meta.labels, path.child('metadata', 'labels')),
    ...validateAnnotations(meta.annotations, path.child('metadata', 'annotations')),
    ...validatePodSpec(t.spec, path.child('spec')),
  ];
}
