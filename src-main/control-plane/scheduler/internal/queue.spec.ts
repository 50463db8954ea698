import { describe, expect, it } from 'vitest';
import type { ClusterEvent } from '../framework/types';
import { less } from '../plugins/queuesort';
import { makePod } from '../testing/fixtures';
import type { Clock } from './clock';
import { SchedulingQueue } from './queue';

function fakeClock() {
  let now = 1_000_000;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let id = 0;
  const clock: Clock = {
    now: () => now,
    setTimer: (fn, ms) => {
      timers.push({ at: now + ms, fn, id: ++id });
      return id;
    },
    clearTimer: (h) => {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > now) break;
      timers.shift();
      t.fn();
    }
  };
  return { clock, advance };
}

function newQueue(clock: Clock, pluginEvents: Record<string, ClusterEvent[]> = {}) {
  return new SchedulingQueue({
    less,
    clock,
    pluginEvents: new Map(Object.entries(pluginEvents).map(([k, v]) => [k, new Set(v)])),
  });
}

describe('SchedulingQueue', () => {
  it('pops higher priority first, then first in first out', async () => {
    const { clock, advance } = fakeClock();
    const q = newQueue(clock);
    q.add(makePod({ name: 'a' }));
    advance(1);
    q.add(makePod({ name: 'b', spec: { priority: 10 } }));
    advance(1);
    q.add(makePod({ name: 'c' }));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop())?.pod.metadata.name);
    expect(order).toEqual(['b', 'a', 'c']);
    q.close();
  });

  it('backs a pod off exponentially from 1 s to at most 10 s', async () => {
    const { clock, advance } = fakeClock();
    const q = newQueue(clock);
    q.add(makePod({ name: 'p' }));
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const item = (await q.pop())!;
      expect(item.attempts).toBe(attempt);
      q.addBackoff(item);
      let waited = 0;
      while (q.stats().active === 0) {
        advance(100);
        waited += 100;
        if (waited > 20_000) throw new Error('never left backoff');
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    q.close();
  });

  it('keeps unschedulable pods until an event one of their rejecting plugins cares about', async () => {
    const { clock, advance } = fakeClock();
    const q = newQueue(clock, {
      NodeResourcesFit: ['NodeAdd', 'AssignedPodDelete'],
      TaintToleration: ['NodeAdd', 'NodeTaint'],
    });
    q.add(makePod({ name: 'p' }));
    const item = (await q.pop())!;
    advance(5); // a later cycle's event must not count for this attempt
    q.addUnschedulable(item, ['NodeResourcesFit']);
    advance(20_000);
    expect(q.stats()).toMatchObject({ active: 0, backoff: 0, unschedulable: 1 });
    expect(q.moveOnEvent('NodeTaint')).toBe(0);
    expect(q.moveOnEvent('AssignedPodDelete')).toBe(1);
    expect(q.stats()).toMatchObject({ active: 1, unschedulable: 0 });
    q.close();
  });

  it('sends a pod to backoff, not the unschedulable pool, if an event came while it was being tried', async () => {
    const { clock } = fakeClock();
    const q = newQueue(clock, { NodeResourcesFit: ['NodeAdd'] });
    q.add(makePod({ name: 'p' }));
    const item = (await q.pop())!;
    q.moveOnEvent('NodeAdd'); // e.g. a node joined during the attempt
    q.addUnschedulable(item, ['NodeResourcesFit']);
    expect(q.stats()).toMatchObject({ backoff: 1, unschedulable: 0 });
    q.close();
  });

  it('moves a moved pod still in backoff to backoffQ, then to activeQ when its backoff ends', async () => {
    const { clock, advance } = fakeClock();
    const q = newQueue(clock, { X: ['NodeAdd'] });
    q.add(makePod({ name: 'p' }));
    const item = (await q.pop())!;
    q.addUnschedulable(item, ['X']);
    advance(100);
    q.moveOnEvent('NodeAdd');
    expect(q.stats()).toMatchObject({ backoff: 1, active: 0 });
    advance(900);
    expect(q.stats()).toMatchObject({ backoff: 0, active: 1 });
    q.close();
  });

  it('retries pods left unschedulable for longer than the safety-net interval', async () => {
    const { clock, advance } = fakeClock();
    const q = newQueue(clock, { X: ['NodeAdd'] });
    q.add(makePod({ name: 'p' }));
    q.addUnschedulable((await q.pop())!, ['X']);
    advance(59_000);
    expect(q.stats().unschedulable).toBe(1);
    advance(31_000);
    expect(q.stats()).toMatchObject({ unschedulable: 0, active: 1 });
    q.close();
  });

  it('gives an unschedulable pod another try when its spec changes, not when only its status does', async () => {
    const { clock, advance } = fakeClock();
    const q = newQueue(clock, { X: ['NodeAdd'] });
    const pod = makePod({ name: 'p' });
    q.add(pod);
    q.addUnschedulable((await q.pop())!, ['X']);
    advance(2000);
    q.update({ ...pod, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } });
    expect(q.stats().unschedulable).toBe(1);
    q.update({ ...pod, spec: { ...pod.spec, tolerations: [{ operator: 'Exists' }] } });
    expect(q.stats()).toMatchObject({ unschedulable: 0, active: 1 });
    q.close();
  });

  it('resolves a waiting pop when a pod arrives, and undefined on close', async () => {
    const { clock } = fakeClock();
    const q = newQueue(clock);
    const waiting = q.pop();
    q.add(makePod({ name: 'late' }));
    expect((await waiting)?.pod.metadata.name).toBe('late');
    const again = q.pop();
    q.close();
    expect(await again).toBeUndefined();
  });
});
