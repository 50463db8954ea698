// The labels on every container the agent creates. They are the agent's only memory: after a restart
// it lists the engine's containers and rebuilds which pod, container and attempt each one is.
import type { ContainerKind, ContainerRef } from './types';

export const LABEL = {
  node: 'dev.flotilla.node',
  kind: 'dev.flotilla.kind',
  podUid: 'dev.flotilla.pod.uid',
  podName: 'dev.flotilla.pod.name',
  podNamespace: 'dev.flotilla.pod.namespace',
  containerName: 'dev.flotilla.container.name',
  attempt: 'dev.flotilla.container.attempt',
  specHash: 'dev.flotilla.container.hash',
  gracePeriod: 'dev.flotilla.grace-period',
} as const;

const KINDS: readonly ContainerKind[] = ['sandbox', 'init', 'app'];

export function refLabels(nodeName: string, ref: ContainerRef): Record<string, string> {
  return {
    [LABEL.node]: nodeName,
    [LABEL.kind]: ref.kind,
    [LABEL.podUid]: ref.podUid,
    [LABEL.podName]: ref.podName,
    [LABEL.podNamespace]: ref.podNamespace,
    [LABEL.containerName]: ref.containerName,
    [LABEL.attempt]: String(ref.attempt),
  };
}

/** Undefined when the labels are not (all) ours: such a container is left alone. */
export function refFromLabels(labels: Record<string, string> | undefined): ContainerRef | undefined {
  if (!labels) return undefined;
  const kind = labels[LABEL.kind] as ContainerKind | undefined;
  const podUid = labels[LABEL.podUid];
  const attempt = Number(labels[LABEL.attempt]);
  if (!kind || !KINDS.includes(kind) || !podUid || !Number.isInteger(attempt) || attempt < 0)
    return undefined;
  return {
    kind,
    podUid,
    podName: labels[LABEL.podName] ?? '',
    podNamespace: labels[LABEL.podNamespace] ?? '',
    containerName: labels[LABEL.containerName] ?? '',
    attempt,
  };
}

/** A readable, unique Docker container name (`docker ps` shows it). */
export function dockerContainerName(ref: ContainerRef): string {
  const part = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');
  const container = ref.kind === 'sandbox' ? 'POD' : ref.containerName;
  return [
    'flotilla',
    part(container),
    part(ref.podName),
    part(ref.podNamespace),
    ref.podUid.slice(0, 8),
    ref.attempt,
  ].join('_');
}
