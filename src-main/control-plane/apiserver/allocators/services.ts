// Service cluster IPs and node ports, allocated by the API server as the Service is written (as
// kube-apiserver does), so `kubectl get svc` shows them the moment the create returns.
import type { StatusCause } from '../../../shared/status';
import type { Store } from '../../store/types';
import { errors } from '../errors';
import type { KubeObject } from '../kinds/types';
import type { RestHooks } from '../rest/context';
import {
  ipv4Range,
  OutOfRangeError,
  portRange,
  RangeAllocator,
  RangeFullError,
  ValueTakenError,
} from './range';

export interface ServiceNetworkOptions {
  serviceCIDR: string;
  nodePorts: { min: number; max: number };
}

export const DEFAULT_SERVICE_NETWORK: ServiceNetworkOptions = {
  serviceCIDR: '10.96.0.0/12',
  nodePorts: { min: 30000, max: 32767 },
};

interface ServicePort {
  name?: string;
  port?: number;
  nodePort?: number;
  [k: string]: unknown;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  [k: string]: unknown;
}

const specOf = (svc: KubeObject) => (svc.spec ?? {}) as ServiceSpec;
const needsClusterIP = (s: ServiceSpec) => s.type !== 'ExternalName' && s.clusterIP !== 'None';
const needsNodePorts = (s: ServiceSpec) => s.type === 'NodePort' || s.type === 'LoadBalancer';

export interface ServiceAllocators {
  ips: RangeAllocator<string>;
  ports: RangeAllocator<number>;
  hooks: RestHooks;
}

export function createServiceAllocators(
  store: Store,
  options: ServiceNetworkOptions = DEFAULT_SERVICE_NETWORK,
): ServiceAllocators {
  const ips = new RangeAllocator(store, '/registry/ranges/serviceips/', ipv4Range(options.serviceCIDR));
  const ports = new RangeAllocator(
    store,
    '/registry/ranges/servicenodeports/',
    portRange(options.nodePorts.min, options.nodePorts.max),
  );

  /** Reserves what `spec` needs beyond what `kept` already holds; returns the undo. */
  async function reserveFor(svc: KubeObject, kept: { ip?: string; nodePorts: Set<number> }) {
    const spec = specOf(svc);
    const owner = { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' };
    const undo: (() => Promise<void>)[] = [];
    const rollback = async () => {
      for (const u of undo.reverse()) await u();
    };
    try {
      if (needsClusterIP(spec) && !(spec.clusterIP && spec.clusterIP === kept.ip)) {
        const wanted = spec.clusterIP || spec.clusterIPs?.[0];
        let ip: string;
        try {
          if (wanted) {
            await ips.reserve(wanted, owner);
            ip = wanted;
          } else ip = await ips.allocate(owner);
        } catch (err) {
          throw allocationError(err, owner.name, 'spec.clusterIPs', wanted ? [wanted] : undefined, 'IP');
        }
        undo.push(() => ips.release(ip));
        spec.clusterIP = ip;
        spec.clusterIPs = [ip, ...(spec.clusterIPs ?? []).slice(1)];
      }
      if (needsNodePorts(spec)) {
        for (const [i, p] of (spec.ports ?? []).entries()) {
          if (p.nodePort !== undefined && kept.nodePorts.has(p.nodePort)) continue;
          const wanted = p.nodePort;
          let port: number;
          try {
            if (wanted !== undefined) {
              await ports.reserve(wanted, owner);
              port = wanted;
            } else port = await ports.allocate(owner);
          } catch (err) {
            throw allocationError(err, owner.name, `spec.ports[${i}].nodePort`, wanted, 'port');
          }
          undo.push(() => ports.release(port));
          p.nodePort = port;
        }
      } else {
        for (const p of spec.ports ?? []) delete p.nodePort;
      }
    } catch (err) {
      await rollback();
      throw err;
    }
    return rollback;
  }

  function held(svc: KubeObject | undefined): { ip?: string; nodePorts: Set<number> } {
    if (!svc) return { nodePorts: new Set() };
    const spec = specOf(svc);
    return {
      ...(needsClusterIP(spec) && spec.clusterIP ? { ip: spec.clusterIP } : {}),
      nodePorts: new Set(
        needsNodePorts(spec) ? (spec.ports ?? []).map((p) => p.nodePort).filter((n) => n !== undefined) : [],
      ),
    };
  }

  async function releaseAll(h: { ip?: string; nodePorts: Set<number> }) {
    if (h.ip) await ips.release(h.ip);
    for (const p of h.nodePorts) await ports.release(p);
  }

  const hooks: RestHooks = {
    async beforeCreate(obj) {
      return reserveFor(obj, { nodePorts: new Set() });
    },
    async beforeUpdate(next, old) {
      const before = held(old);
      const rollback = await reserveFor(next, before);
      const after = held(next);
      return {
        rollback,
        // Values the old object held and the new one does not are freed once the update is stored.
        commit: async () => {
          if (before.ip && before.ip !== after.ip) await ips.release(before.ip);
          for (const p of before.nodePorts) if (!after.nodePorts.has(p)) await ports.release(p);
        },
      };
    },
    async afterDelete(obj) {
      await releaseAll(held(obj));
    },
  };
  return { ips, ports, hooks };
}

function allocationError(err: unknown, name: string, field: string, wanted: unknown, what: 'IP' | 'port') {
  if (err instanceof ValueTakenError || err instanceof OutOfRangeError) {
    const reason = err instanceof ValueTakenError ? `provided ${what} is already allocated` : err.message;
    const cause: StatusCause = {
      reason: 'FieldValueInvalid',
      field,
      message: `Invalid value: ${JSON.stringify(wanted)}: ${what === 'IP' ? `failed to allocate IP ${String((wanted as string[])[0])}: ` : ''}${reason}`,
    };
    return errors.invalid('Service', { name }, [cause]);
  }
  if (err instanceof RangeFullError)
    return errors.internal(`failed to allocate a service ${what}: ${err.message}`);
  return err;
}
