// Keeps reservations and Services in agreement (kube-apiserver's repair controllers): a reservation
// no Service holds (its owner's create failed after reserving, or a crash came between the two
// writes) is freed once it is old enough not to belong to a create still in flight; a value a
// Service holds without a reservation is reserved again.
import type { Logger } from '../../../platform/logger';
import type { Stoppable } from '../../../shared/kube/types';
import type { KubeObject } from '../kinds/types';
import type { RangeAllocator } from './range';
import { ValueTakenError } from './range';
import type { ServiceAllocators } from './services';

/** A reservation younger than this may belong to a create that has not been stored yet. */
const GRACE_MS = 60_000;

async function repairRange<T extends string | number>(
  allocator: RangeAllocator<T>,
  holders: Map<string, { namespace: string; name: string; value: T }>,
  now: Date,
  log: Logger,
): Promise<void> {
  const reservations = await allocator.reservations();
  for (const [value, owner] of reservations) {
    const holder = holders.get(value);
    if (holder && holder.namespace === owner.namespace && holder.name === owner.name) continue;
    if (holder) continue; // held by another service: that service's claim stands; leave it
    if (now.getTime() - Date.parse(owner.at) < GRACE_MS) continue;
    log.info(
      `freeing ${allocator.prefix}${value}: no service holds it (reserved for ${owner.namespace}/${owner.name})`,
    );
    await allocator.release(
      (allocator.range.offsetOf(value as T) === undefined ? Number(value) : value) as T,
    );
  }
  for (const [value, holder] of holders) {
    if (reservations.has(value)) continue;
    try {
      await allocator.reserve(holder.value, { namespace: holder.namespace, name: holder.name });
      log.info(`re-reserved ${allocator.prefix}${value} for service ${holder.namespace}/${holder.name}`);
    } catch (err) {
      if (!(err instanceof ValueTakenError))
        log.warn(`cannot re-reserve ${value}: ${(err as Error).message}`);
    }
  }
}

export async function repairServiceAllocations(
  allocators: ServiceAllocators,
  services: KubeObject[],
  log: Logger,
  now = new Date(),
): Promise<void> {
  const ips = new Map<string, { namespace: string; name: string; value: string }>();
  const ports = new Map<string, { namespace: string; name: string; value: number }>();
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as { type?: string; clusterIP?: string; ports?: { nodePort?: number }[] };
    const who = { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' };
    if (
      spec.clusterIP &&
      spec.clusterIP !== 'None' &&
      allocators.ips.range.offsetOf(spec.clusterIP) !== undefined
    ) {
      ips.set(spec.clusterIP, { ...who, value: spec.clusterIP });
    }
    for (const p of spec.ports ?? []) {
      if (p.nodePort !== undefined && allocators.ports.range.offsetOf(p.nodePort) !== undefined) {
        ports.set(String(p.nodePort), { ...who, value: p.nodePort });
      }
    }
  }
  await repairRange(allocators.ips, ips, now, log);
  await repairRange(allocators.ports, ports, now, log);
}

export function startAllocationRepair(
  allocators: ServiceAllocators,
  listServices: () => Promise<KubeObject[]>,
  log: Logger,
  intervalMs = 60_000,
): Stoppable {
  let running = false;
  const pass = async () => {
    if (running) return;
    running = true;
    try {
      await repairServiceAllocations(allocators, await listServices(), log);
    } catch (err) {
      log.warn(`service allocation repair failed: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  };
  void pass();
  const timer = setInterval(() => void pass(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
