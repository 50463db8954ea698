// A Pod's spec → the runtime's sandbox and container configs. Pure: everything it needs from outside
// (the pod IP, the node, ConfigMaps and Secrets, where the volumes live on disk) is passed in.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { cpuMillicores, memoryBytes } from '../../shared/quantity';
import { isRelaxedEnvVarName } from '../../shared/validation';
import type { ContainerConfig, ContainerKind, Mount, PortMapping, SandboxConfig } from '../runtime/types';
import { ContainerStartError } from './errors';
import { expand } from './expansion';
import type { Container, EnvVar, ObjectLookup, Pod } from './types';

export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

export interface TranslateContext {
  nodeName: string;
  hostIP: string;
  podIP: string;
  lookup: ObjectLookup;
  /** Host folder of each pod volume, by volume name (from volumes.ts). */
  volumePaths: ReadonlyMap<string, { hostPath: string; readOnly: boolean }>;
  /** Variables every container gets first (Service environment variables, later). */
  baseEnv?: readonly { name: string; value: string }[];
  /** For resourceFieldRef without a limit: the node's allocatable. */
  nodeAllocatable?: { cpuMillis: number; memoryBytes: number };
}

export function gracePeriodOf(pod: Pod): number {
  return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
}

/** Kubernetes' default: Always for `:latest` or untagged images, IfNotPresent otherwise. */
export function pullPolicyOf(container: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image = container.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Identifies a container's spec; a different hash (e.g. after `kubectl set image`) means recreate. */
export function containerSpecHash(container: Container): string {
  return createHash('sha256').update(stableJson(container)).digest('hex').slice(0, 16);
}

export function sandboxConfig(pod: Pod, attempt: number): SandboxConfig {
  const ports: PortMapping[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of c.ports ?? []) {
      const mapping: PortMapping = {
        containerPort: p.containerPort,
        hostPort: p.hostPort ?? 0,
        protocol: p.protocol ?? 'TCP',
      };
      if (p.hostIP) mapping.hostIP = p.hostIP;
      ports.push(mapping);
    }
  }
  return {
    ref: {
      podUid: pod.metadata.uid ?? '',
      podName: pod.metadata.name ?? '',
      podNamespace: pod.metadata.namespace ?? 'default',
      kind: 'sandbox',
      containerName: '',
      attempt,
    },
    hostname: pod.spec.hostname ?? pod.metadata.name ?? 'pod',
    portMappings: ports,
    gracePeriodSeconds: gracePeriodOf(pod),
  };
}

function fieldRefValue(pod: Pod, path: string, ctx: TranslateContext): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[labelOrAnnotation[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    default:
      throw new ContainerStartError('CreateContainerConfigError', `unsupported fieldRef fieldPath "${path}"`);
  }
}

function resourceFieldValue(
  container: Container,
  pod: Pod,
  ref: { containerName?: string; resource: string; divisor?: string },
  ctx: TranslateContext,
): string {
  const target = ref.containerName
    ? pod.spec.containers.find((c) => c.name === ref.containerName)
    : container;
  if (!target)
    throw new ContainerStartError(
      'CreateContainerConfigError',
      `resourceFieldRef: no container "${ref.containerName}"`,
    );
  const [section, resource] = ref.resource.split('.') as ['limits' | 'requests', string];
  const value = target.resources?.[section]?.[resource];
  if (resource === 'cpu') {
    const millis = value ? cpuMillicores(value) : (ctx.nodeAllocatable?.cpuMillis ?? 0);
    const divisor = ref.divisor ? cpuMillicores(ref.divisor) : 1000;
    return String(Math.ceil(millis / divisor));
  }
  if (resource === 'memory' || resource === 'ephemeral-storage') {
    const bytes = value
      ? memoryBytes(value)
      : resource === 'memory'
        ? (ctx.nodeAllocatable?.memoryBytes ?? 0)
        : 0;
    const divisor = ref.divisor ? memoryBytes(ref.divisor) : 1;
    return String(Math.ceil(bytes / divisor));
  }
  throw new ContainerStartError(
    'CreateContainerConfigError',
    `unsupported resourceFieldRef resource "${ref.resource}"`,
  );
}

function decodeSecret(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Container environment in Kubernetes order: base, envFrom sources, then env (later wins), with $(VAR) expansion. */
export function containerEnv(
  pod: Pod,
  container: Container,
  ctx: TranslateContext,
): { name: string; value: string }[] {
  const ns = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>();
  for (const e of ctx.baseEnv ?? []) env.set(e.name, e.value);

  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    let data: Record<string, string> | undefined;
    if (source.configMapRef) {
      const cm = ctx.lookup.configMap(ns, source.configMapRef.name);
      if (!cm) {
        if (source.configMapRef.optional) continue;
        throw new ContainerStartError(
          'CreateContainerConfigError',
          `configmap "${source.configMapRef.name}" not found`,
        );
      }
      data = cm.data ?? {};
    } else if (source.secretRef) {
      const secret = ctx.lookup.secret(ns, source.secretRef.name);
      if (!secret) {
        if (source.secretRef.optional) continue;
        throw new ContainerStartError(
          'CreateContainerConfigError',
          `secret "${source.secretRef.name}" not found`,
        );
      }
      data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, decodeSecret(v)]));
    }
    for (const [key, value] of Object.entries(data ?? {})) {
      // Kubernetes skips keys that are not valid variable names (and says so in an event).
      if (isRelaxedEnvVarName(prefix + key).length === 0) env.set(prefix + key, value);
    }
  }

  const resolve = (name: string) => env.get(name);
  for (const e of container.env ?? []) env.set(e.name, envValue(pod, container, e, ctx, resolve));
  return [...env].map(([name, value]) => ({ name, value }));
}

function envValue(
  pod: Pod,
  container: Container,
  e: EnvVar,
  ctx: TranslateContext,
  resolve: (name: string) => string | undefined,
): string {
  const ns = pod.metadata.namespace ?? 'default';
  const from = e.valueFrom;
  if (!from) return expand(e.value ?? '', resolve);
  if (from.fieldRef) return fieldRefValue(pod, from.fieldRef.fieldPath, ctx);
  if (from.resourceFieldRef) return resourceFieldValue(container, pod, from.resourceFieldRef, ctx);
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = ctx.lookup.configMap(ns, ref.name);
    if (!cm) {
      if (ref.optional) return '';
      throw new ContainerStartError('CreateContainerConfigError', `configmap "${ref.name}" not found`);
    }
    const value = cm.data?.[ref.key];
    if (value === undefined) {
      if (ref.optional) return '';
      throw new ContainerStartError(
        'CreateContainerConfigError',
        `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`,
      );
    }
    return value;
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const secret = ctx.lookup.secret(ns, ref.name);
    if (!secret) {
      if (ref.optional) return '';
      throw new ContainerStartError('CreateContainerConfigError', `secret "${ref.name}" not found`);
    }
    const value = secret.data?.[ref.key];
    if (value === undefined) {
      if (ref.optional) return '';
      throw new ContainerStartError(
        'CreateContainerConfigError',
        `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`,
      );
    }
    return decodeSecret(value);
  }
  return '';
}

function containerMounts(container: Container, ctx: TranslateContext): Mount[] {
  return (container.volumeMounts ?? []).map((m) => {
    const volume = ctx.volumePaths.get(m.name);
    if (!volume)
      throw new ContainerStartError(
        'CreateContainerConfigError',
        `volume "${m.name}" is not ready or not defined`,
      );
    let hostPath = volume.hostPath;
    if (m.subPath) {
      const sub = posix.normalize(m.subPath);
      if (sub.startsWith('..') || posix.isAbsolute(sub)) {
        throw new ContainerStartError(
          'CreateContainerConfigError',
          `subPath "${m.subPath}" must be a relative path inside the volume`,
        );
      }
      hostPath = posix.join(hostPath, sub);
    }
    return { hostPath, containerPath: m.mountPath, readOnly: (m.readOnly ?? false) || volume.readOnly };
  });
}

export function containerConfig(
  pod: Pod,
  container: Container,
  kind: Exclude<ContainerKind, 'sandbox'>,
  attempt: number,
  ctx: TranslateContext,
): ContainerConfig {
  if (!container.image)
    throw new ContainerStartError('CreateContainerConfigError', `container "${container.name}" has no image`);
  const env = containerEnv(pod, container, ctx);
  const envMap = new Map(env.map((e) => [e.name, e.value]));
  const resolve = (name: string) => envMap.get(name);
  const sc = container.securityContext ?? {};
  const podSc = pod.spec.securityContext ?? {};
  const uid = sc.runAsUser ?? podSc.runAsUser;
  const gid = sc.runAsGroup ?? podSc.runAsGroup;
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};

  const config: ContainerConfig = {
    ref: {
      podUid: pod.metadata.uid ?? '',
      podName: pod.metadata.name ?? '',
      podNamespace: pod.metadata.namespace ?? 'default',
      kind,
      containerName: container.name,
      attempt,
    },
    specHash: containerSpecHash(container),
    image: container.image,
    env,
    privileged: sc.privileged ?? false,
    readOnlyRootfs: sc.readOnlyRootFilesystem ?? false,
    capAdd: sc.capabilities?.add ?? [],
    capDrop: sc.capabilities?.drop ?? [],
    mounts: containerMounts(container, ctx),
    tty: container.tty ?? false,
    stdin: container.stdin ?? false,
    stdinOnce: container.stdinOnce ?? false,
    gracePeriodSeconds: gracePeriodOf(pod),
  };
  if (container.command?.length) config.entrypoint = container.command.map((a) => expand(a, resolve));
  if (container.args?.length) config.cmd = container.args.map((a) => expand(a, resolve));
  if (container.workingDir) config.workingDir = container.workingDir;
  if (uid !== undefined) config.user = gid !== undefined ? `${uid}:${gid}` : String(uid);
  if (limits.cpu) config.nanoCpus = cpuMillicores(limits.cpu) * 1_000_000;
  const cpuRequest = requests.cpu ?? limits.cpu;
  // kubelet's mapping: 1 CPU = 1024 shares, at least 2.
  if (cpuRequest) config.cpuShares = Math.max(2, Math.floor((cpuMillicores(cpuRequest) * 1024) / 1000));
  if (limits.memory) config.memoryBytes = memoryBytes(limits.memory);
  return config;
}
