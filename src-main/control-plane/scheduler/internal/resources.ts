// Resource arithmetic for scheduling: what a pod requests and what a node can give, in plain numbers
// (millicores, bytes, pod count) so filtering thousands of nodes costs no parsing.
import { cpuMillicores, memoryBytes } from '../../../shared/quantity';
import type { Container, PodSpec, ResourceList } from '../../../shared/kube/objects';

export interface Resources {
  milliCPU: number;
  memory: number;
}

/** Kubernetes' defaults for containers that request nothing, used only for scoring (not fitting). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function quantity(
  list: ResourceList | undefined,
  name: string,
  parse: (v: string | number) => number,
): number {
  const raw = list?.[name];
  if (raw === undefined) return 0;
  try {
    return parse(raw);
  } catch {
    return 0; // the API server validates quantities; a bad one cannot be scheduled on anyway
  }
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const req = c.resources?.requests;
  // A limit without a request defaults the request to the limit (the API server does this too).
  const lim = c.resources?.limits;
  let milliCPU =
    req?.cpu !== undefined ? quantity(req, 'cpu', cpuMillicores) : quantity(lim, 'cpu', cpuMillicores);
  let memory =
    req?.memory !== undefined ? quantity(req, 'memory', memoryBytes) : quantity(lim, 'memory', memoryBytes);
  if (nonZero) {
    if (req?.cpu === undefined && lim?.cpu === undefined) milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (req?.memory === undefined && lim?.memory === undefined) memory = DEFAULT_MEMORY_REQUEST;
  }
  return { milliCPU, memory };
}

/**
 * The pod's effective request (resourcehelper.PodRequests): the sum over app containers and restartable
 * (sidecar) init containers, at least the largest plain init container, plus the pod overhead.
 */
export function podRequests(spec: PodSpec, nonZero = false): Resources {
  const sum: Resources = { milliCPU: 0, memory: 0 };
  for (const c of spec.containers ?? []) {
    const r = containerRequests(c, nonZero);
    sum.milliCPU += r.milliCPU;
    sum.memory += r.memory;
  }
  let sidecars: Resources = { milliCPU: 0, memory: 0 };
  const initMax: Resources = { milliCPU: 0, memory: 0 };
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      sidecars = { milliCPU: sidecars.milliCPU + r.milliCPU, memory: sidecars.memory + r.memory };
      continue;
    }
    // A plain init container runs alongside the sidecars started before it.
    initMax.milliCPU = Math.max(initMax.milliCPU, r.milliCPU + sidecars.milliCPU);
    initMax.memory = Math.max(initMax.memory, r.memory + sidecars.memory);
  }
  sum.milliCPU = Math.max(sum.milliCPU + sidecars.milliCPU, initMax.milliCPU);
  sum.memory = Math.max(sum.memory + sidecars.memory, initMax.memory);
  sum.milliCPU += quantity(spec.overhead, 'cpu', cpuMillicores);
  sum.memory += quantity(spec.overhead, 'memory', memoryBytes);
  return sum;
}

export interface Allocatable extends Resources {
  pods: number;
}

export function nodeAllocatable(
  status: { allocatable?: ResourceList; capacity?: ResourceList } | undefined,
): Allocatable {
  const list = status?.allocatable ?? status?.capacity;
  return {
    milliCPU: quantity(list, 'cpu', cpuMillicores),
    memory: quantity(list, 'memory', memoryBytes),
    pods: quantity(list, 'pods', (v) => Number(v)),
  };
}
