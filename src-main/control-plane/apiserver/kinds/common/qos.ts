// The pod's QoS class (qos.GetPodQOS): Guaranteed when every container has equal, non-zero CPU and memory
// requests and limits; BestEffort when none sets any; Burstable otherwise.
import {
  addQuantities,
  compareQuantities,
  isZero,
  tryParseQuantity,
  type Quantity,
} from '../../../../shared/quantity';
import { rec, recList } from './util';

const QOS_RESOURCES = new Set(['cpu', 'memory']);

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export function podQOSClass(spec: unknown): QOSClass {
  const s = rec(spec) ?? {};
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (into: Map<string, Quantity>, name: string, q: Quantity) => {
    const prev = into.get(name);
    into.set(name, prev ? addQuantities(prev, q) : q);
  };
  for (const c of [...recList(s.containers), ...recList(s.initContainers)]) {
    const resources = rec(c.resources) ?? {};
    for (const [name, raw] of Object.entries(rec(resources.requests) ?? {})) {
      const q = tryParseQuantity(raw);
      if (QOS_RESOURCES.has(name) && q && !isZero(q) && q.mantissa > 0n) add(requests, name, q);
    }
    const found = new Set<string>();
    for (const [name, raw] of Object.entries(rec(resources.limits) ?? {})) {
      const q = tryParseQuantity(raw);
      if (QOS_RESOURCES.has(name) && q && !isZero(q) && q.mantissa > 0n) {
        found.add(name);
        add(limits, name, q);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantities(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
