// Helpers shared by the kind strategies. The REST layer calls the preparation hooks of KindStrategy
// (Kubernetes' PrepareForCreate / PrepareForUpdate): on create `defaults → prepareForCreate →
// validateCreate`, on update `defaults → prepareForUpdate → validateUpdate`.
import { RESOURCES, type ResourceInfo } from '../../../../shared/resources';
import type { KindStrategy, KubeObject } from '../types';

/** Kept as a name for the kinds in this folder; the hooks are part of the KindStrategy contract. */
export type FlotillaStrategy = KindStrategy;

/** Main-resource updates never change status for kinds with a status subresource. */
export function keepOldStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = JSON.parse(JSON.stringify(old.status)) as Record<string, unknown>;
}

/**
 * The served resource a strategy belongs to (from the one list in shared/resources.ts). A kind that may be
 * dropped from that list passes its own description as `fallback`; the registry then leaves it out.
 */
export function resourceOf(group: string, plural: string, fallback?: ResourceInfo): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.plural === plural) ?? fallback;
  if (!r) throw new Error(`no served resource ${plural}${group ? `.${group}` : ''}`);
  return r;
}
