import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/logger';
import type { CoreEvent } from '../../../shared/kube/objects';
import { createFakeKubeApi, waitFor } from '../../../shared/kube/testing';
import { startControllerManager } from '../controller-manager';
import type { ControllerManager } from '../controller-manager';
import { EVENTS } from '../framework/resources';
import { createEventTtlController, lastSeen } from './controller';

let manager: ControllerManager | undefined;
afterEach(async () => {
  await manager?.stop();
  manager = undefined;
});

const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const event = (name: string, times: Partial<CoreEvent>): CoreEvent => ({
  metadata: { name, namespace: 'default', creationTimestamp: ago(3 * 3600_000) },
  involvedObject: { kind: 'Pod', name: 'p' },
  ...times,
});

describe('event TTL controller (fake API)', () => {
  it('deletes events last seen more than the TTL ago and keeps recent or bumped ones', async () => {
    const api = createFakeKubeApi();
    api.seed(EVENTS, event('old', { lastTimestamp: ago(2 * 3600_000) }));
    api.seed(EVENTS, event('bumped', { firstTimestamp: ago(2 * 3600_000), lastTimestamp: ago(60_000) }));
    api.seed(EVENTS, event('micro', { eventTime: new Date(Date.now() - 10_000).toISOString() }));
    manager = await startControllerManager({
      api,
      log: silentLogger,
      host: 'test',
      controllers: ['eventttl'],
      registry: {
        eventttl: (ctx) => createEventTtlController(ctx, { ttlMs: 3600_000, intervalMs: 50, pageSize: 2 }),
      },
    });
    await waitFor(
      () => !api.objects<CoreEvent>(EVENTS).some((e) => e.metadata.name === 'old'),
      'the old event to go',
    );
    expect(
      api
        .objects<CoreEvent>(EVENTS)
        .map((e) => e.metadata.name)
        .sort(),
    ).toEqual(['bumped', 'micro']);
    // The sweep repeats: an event that expires later goes on a later pass.
    api.seed(EVENTS, event('later', { lastTimestamp: ago(5 * 3600_000) }));
    await waitFor(
      () => !api.objects<CoreEvent>(EVENTS).some((e) => e.metadata.name === 'later'),
      'a later sweep',
    );
  });

  it("takes the newest of an event's timestamps as last seen", () => {
    expect(
      lastSeen(event('e', { firstTimestamp: '2030-01-01T00:00:00Z', lastTimestamp: '2030-01-01T01:00:00Z' })),
    ).toBe(Date.parse('2030-01-01T01:00:00Z'));
  });
});
