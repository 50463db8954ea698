import { describe, expect, it } from 'vitest';
import { EngineLimiter } from './engine-limiter';
import type { EngineLane } from './engine-limiter';

/** A fake engine: every call stays in flight until the test finishes it, and the order calls began is kept. */
class FakeEngine {
  readonly started: string[] = [];
  inFlight = 0;
  peak = 0;
  private readonly pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  call(name: string): () => Promise<string> {
    return () => {
      this.started.push(name);
      this.inFlight++;
      this.peak = Math.max(this.peak, this.inFlight);
      return new Promise<string>((resolve, reject) => {
        this.pending.set(name, {
          resolve: () => resolve(name),
          reject: (e) => reject(e),
        });
      }).finally(() => this.inFlight--);
    };
  }

  running(): string[] {
    return [...this.pending.keys()];
  }

  async finish(name: string, error?: Error): Promise<void> {
    const p = this.pending.get(name);
    if (!p) throw new Error(`${name} is not in flight (in flight: ${this.running().join(', ')})`);
    this.pending.delete(name);
    if (error) p.reject(error);
    else p.resolve();
    // Let the limiter's settlement handlers run and start the next calls.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  /** Finishes whatever is in flight, oldest first, until nothing is left. */
  async drain(): Promise<void> {
    for (let name = this.running()[0]; name; name = this.running()[0]) await this.finish(name);
  }
}

describe('EngineLimiter', () => {
  it('never has more calls in flight than its limit, and runs every call', async () => {
    const engine = new FakeEngine();
    const limiter = new EngineLimiter(3);
    const results = Array.from({ length: 20 }, (_, i) =>
      limiter.run(`pod-${i % 7}`, i % 2 ? 'setup' : 'teardown', engine.call(`c${i}`)),
    );
    expect(engine.inFlight).toBe(3);
    expect(limiter.stats()).toMatchObject({ active: 3, queued: 17 });
    await engine.drain();
    expect(await Promise.all(results)).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    expect(engine.peak).toBe(3);
    expect(limiter.stats()).toEqual({ active: 0, queued: 0, peakActive: 3, completed: 20 });
  });

  it('serves pods round-robin: one pod with many calls does not hold back the others', async () => {
    const engine = new FakeEngine();
    const limiter = new EngineLimiter(1);
    const all: Promise<string>[] = [];
    for (let i = 0; i < 5; i++) all.push(limiter.run('busy', 'setup', engine.call(`busy${i}`)));
    all.push(limiter.run('quiet', 'setup', engine.call('quiet0')));
    all.push(limiter.run('other', 'setup', engine.call('other0')));
    await engine.drain();
    await Promise.all(all);
    // busy0 was already running; then each waiting pod gets a turn before busy's second call.
    expect(engine.started).toEqual(['busy0', 'busy1', 'quiet0', 'other0', 'busy2', 'busy3', 'busy4']);
  });

  it('keeps one pod’s calls in the order they were made', async () => {
    const engine = new FakeEngine();
    const limiter = new EngineLimiter(4);
    const all = ['create', 'start', 'create-app', 'start-app'].map((n) =>
      limiter.run('pod', 'setup', engine.call(n)),
    );
    await engine.drain();
    await Promise.all(all);
    expect(engine.started).toEqual(['create', 'start', 'create-app', 'start-app']);
  });

  it('does not let a flood of removals starve creation (nor the other way round)', async () => {
    const engine = new FakeEngine();
    const limiter = new EngineLimiter(2);
    const all: Promise<string>[] = [];
    for (let i = 0; i < 50; i++) all.push(limiter.run(`gone-${i}`, 'teardown', engine.call(`rm${i}`)));
    all.push(limiter.run('new', 'setup', engine.call('create')));
    // The two slots are taken by removals; the next free slot goes to the waiting creation.
    expect(engine.running()).toEqual(['rm0', 'rm1']);
    await engine.finish('rm0');
    expect(engine.running()).toEqual(['rm1', 'create']);
    // And with both lanes busy, they alternate.
    const lanes: EngineLane[] = [];
    for (let i = 0; i < 6; i++) {
      const n = `s${i}`;
      all.push(limiter.run(`new-${i}`, 'setup', engine.call(n)));
    }
    const before = engine.started.length;
    for (let i = 0; i < 6; i++) await engine.finish(engine.running()[0]!);
    for (const n of engine.started.slice(before)) lanes.push(n.startsWith('rm') ? 'teardown' : 'setup');
    expect(lanes).toEqual(['teardown', 'setup', 'teardown', 'setup', 'teardown', 'setup']);
    await engine.drain();
    await Promise.all(all);
  });

  it('passes failures through and frees the slot (also for a call that throws before returning a promise)', async () => {
    const engine = new FakeEngine();
    const limiter = new EngineLimiter(1);
    const failing = limiter.run('a', 'setup', engine.call('bad'));
    const throwing = limiter.run('b', 'setup', () => {
      throw new Error('thrown synchronously');
    });
    const after = limiter.run('c', 'teardown', engine.call('after'));
    await engine.finish('bad', new Error('engine said no'));
    await expect(failing).rejects.toThrow('engine said no');
    // The teardown lane's turn comes first after a setup call.
    expect(engine.running()).toEqual(['after']);
    await engine.finish('after');
    await expect(after).resolves.toBe('after');
    await expect(throwing).rejects.toThrow('thrown synchronously');
    expect(limiter.stats()).toMatchObject({ active: 0, queued: 0, completed: 3 });
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new EngineLimiter(0)).toThrow(RangeError);
    expect(() => new EngineLimiter(1.5)).toThrow(RangeError);
  });
});
