import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../platform/logger';
import { openMemoryStore } from '../../store/memory';
import type { KubeObject } from '../kinds/types';
import { ipv4Range, portRange, RangeAllocator, RangeFullError, ValueTakenError } from './range';
import { repairServiceAllocations } from './repair';
import { createServiceAllocators } from './services';

const log = createLogger({ level: 'error' });
const svc = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec,
});

describe('ranges', () => {
  it('skips the network, first host and broadcast addresses of a CIDR', () => {
    const r = ipv4Range('10.96.0.0/29');
    expect(r.size).toBe(5);
    expect([0, 1, 2, 3, 4].map(r.valueAt)).toEqual([
      '10.96.0.2',
      '10.96.0.3',
      '10.96.0.4',
      '10.96.0.5',
      '10.96.0.6',
    ]);
    expect(r.offsetOf('10.96.0.1')).toBeUndefined();
    expect(r.offsetOf('10.96.0.7')).toBeUndefined();
    expect(r.offsetOf('10.96.0.6')).toBe(4);
  });

  it('never hands out one value twice, even to concurrent callers', async () => {
    const store = openMemoryStore();
    const alloc = new RangeAllocator(store, '/registry/ranges/test/', portRange(30000, 30099));
    const got = await Promise.all(
      Array.from({ length: 100 }, (_, i) => alloc.allocate({ namespace: 'ns', name: `s${i}` })),
    );
    expect(new Set(got).size).toBe(100);
    await expect(alloc.allocate({ namespace: 'ns', name: 'one-too-many' })).rejects.toBeInstanceOf(
      RangeFullError,
    );
    await expect(alloc.reserve(30000, { namespace: 'ns', name: 'x' })).rejects.toBeInstanceOf(
      ValueTakenError,
    );
    await alloc.release(30000);
    await alloc.reserve(30000, { namespace: 'ns', name: 'x' });
  });
});

describe('service allocation hooks', () => {
  it('fills cluster IP and node ports on create and frees them on delete', async () => {
    const store = openMemoryStore();
    const { hooks, ips, ports } = createServiceAllocators(store);
    const s = svc('web', { type: 'NodePort', ports: [{ port: 80 }, { port: 443, nodePort: 30443 }] });
    await hooks.beforeCreate!(s);
    const spec = s.spec as { clusterIP: string; clusterIPs: string[]; ports: { nodePort: number }[] };
    expect(spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    expect(spec.ports[1]!.nodePort).toBe(30443);
    expect(spec.ports[0]!.nodePort).toBeGreaterThanOrEqual(30000);
    expect((await ips.reservations()).size).toBe(1);
    await hooks.afterDelete!(s);
    expect((await ips.reservations()).size).toBe(0);
    expect((await ports.reservations()).size).toBe(0);
  });

  it('refuses a node port another service holds, and undoes its own reservations', async () => {
    const store = openMemoryStore();
    const { hooks, ips } = createServiceAllocators(store);
    await hooks.beforeCreate!(svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    const b = svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    await expect(hooks.beforeCreate!(b)).rejects.toMatchObject({
      code: 422,
      causes: [
        {
          field: 'spec.ports[0].nodePort',
          message: 'Invalid value: 30080: provided port is already allocated',
        },
      ],
    });
    expect((await ips.reservations()).size).toBe(1); // b's cluster IP was given back
  });

  it('frees node ports when a service stops being a NodePort, after the update is stored', async () => {
    const store = openMemoryStore();
    const { hooks, ports } = createServiceAllocators(store);
    const old = svc('a', { type: 'NodePort', ports: [{ port: 80 }] });
    await hooks.beforeCreate!(old);
    const next = svc('a', { ...(old.spec as object), type: 'ClusterIP', ports: [{ port: 80 }] });
    const r = await hooks.beforeUpdate!(next, old);
    expect((await ports.reservations()).size).toBe(1);
    await r.commit();
    expect((await ports.reservations()).size).toBe(0);
  });

  it('repair frees orphaned reservations and restores missing ones', async () => {
    const store = openMemoryStore();
    const allocators = createServiceAllocators(store);
    await allocators.ips.reserve('10.96.0.50', { namespace: 'default', name: 'gone' });
    const held = svc('kept', { type: 'ClusterIP', clusterIP: '10.96.0.60', ports: [{ port: 80 }] });
    const later = new Date(Date.now() + 120_000);
    await repairServiceAllocations(allocators, [held], log, later);
    expect([...(await allocators.ips.reservations()).keys()]).toEqual(['10.96.0.60']);
  });
});
