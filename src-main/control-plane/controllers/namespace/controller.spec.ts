import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/logger';
import { statusForCode } from '../../../shared/kube/client';
import type { CoreEvent } from '../../../shared/kube/objects';
import { createFakeKubeApi, waitFor } from '../../../shared/kube/testing';
import { KubeApiError } from '../../../shared/kube/types';
import { startControllerManager } from '../controller-manager';
import type { ControllerManager } from '../controller-manager';
import { EVENTS, PODS } from '../framework/resources';
import { NAMESPACES } from '../framework/resources';
import { resourceFor } from '../../../shared/resources';
import { createNamespaceController, deletionConditions } from './controller';
import type { Namespace } from './controller';

const CONFIGMAPS = resourceFor('', 'configmaps');
let manager: ControllerManager | undefined;
afterEach(async () => {
  await manager?.stop();
  manager = undefined;
});

function setup() {
  const api = createFakeKubeApi();
  const finalized: { name: string; finalizers: string[] }[] = [];
  api.seed<Namespace>(NAMESPACES, {
    metadata: { name: 'gone', deletionTimestamp: '2030-01-01T00:00:00Z' },
    spec: { finalizers: ['kubernetes', 'example.com/other'] },
    status: { phase: 'Terminating' },
  });
  api.seed(NAMESPACES, {
    metadata: { name: 'alive' },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  for (const ns of ['gone', 'alive']) {
    api.seed(CONFIGMAPS, { metadata: { name: 'cm', namespace: ns } });
    api.seed(PODS, { metadata: { name: 'p', namespace: ns } });
  }
  const start = async () => {
    manager = await startControllerManager({
      api,
      log: silentLogger,
      host: 'test',
      controllers: ['namespace'],
      registry: {
        namespace: (ctx) =>
          createNamespaceController(ctx, {
            recheckIntervalMs: 10,
            // What the API server does on …/finalize once the list is down to other finalizers: keep
            // the namespace for them; the fake simply removes it so the controller sees the end.
            finalize: async (name, finalizers) => {
              finalized.push({ name, finalizers });
              await api.delete(NAMESPACES, name);
            },
          }),
      },
    });
  };
  return { api, finalized, start };
}

describe('namespace controller (fake API)', () => {
  it('empties a terminating namespace, then removes only its own finalizer', async () => {
    const { api, finalized, start } = setup();
    await start();
    await waitFor(() => finalized.length === 1, 'the finalize call');
    expect(finalized[0]).toEqual({ name: 'gone', finalizers: ['example.com/other'] });
    expect(api.objects(CONFIGMAPS, 'gone')).toEqual([]);
    expect(api.objects(PODS, 'gone')).toEqual([]);
    expect(api.objects(CONFIGMAPS, 'alive')).toHaveLength(1);
    const statusWrite = api.calls.filter((c) => c.verb === 'updateStatus' && c.name === 'gone').at(-1)
      ?.body as Namespace;
    expect(statusWrite.status?.conditions?.find((c) => c.type === 'NamespaceContentRemaining')).toMatchObject(
      { status: 'False', reason: 'ContentRemoved' },
    );
    const events = api.objects<CoreEvent>(EVENTS);
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['DeletingContent', 'NamespaceFinalized']),
    );
  });

  it('reports a failing kind as NamespaceDeletionContentFailure and does not finalize', async () => {
    const { api, finalized, start } = setup();
    api.reactors.push((call) => {
      if (call.verb === 'delete' && call.resource === 'configmaps')
        throw new KubeApiError(500, statusForCode(500, 'disk on fire'));
    });
    await start();
    await waitFor(
      () =>
        api
          .objects<Namespace>(NAMESPACES)
          .find((n) => n.metadata.name === 'gone')
          ?.status?.conditions?.some(
            (c) => c.type === 'NamespaceDeletionContentFailure' && c.status === 'True',
          ),
      'the content failure condition',
    );
    const cond = api
      .objects<Namespace>(NAMESPACES)
      .find((n) => n.metadata.name === 'gone')
      ?.status?.conditions?.find((c) => c.type === 'NamespaceDeletionContentFailure');
    expect(cond?.message).toBe(
      'Failed to delete all resource types, 1 remaining: configmaps. "cm": disk on fire',
    );
    expect(finalized).toEqual([]);
    await waitFor(
      () =>
        api
          .objects<CoreEvent>(EVENTS)
          .some((e) => e.reason === 'NamespaceDeletionContentFailure' && e.type === 'Warning'),
      'a warning event',
    );
  });

  it('words the conditions as Kubernetes does', () => {
    const remaining = new Map([['pods.', 2]]);
    const conds = deletionConditions({
      remaining,
      finalizers: new Map([['foregroundDeletion', 1]]),
      failures: [],
      deleted: new Map(),
    });
    expect(conds.find((c) => c.type === 'NamespaceContentRemaining')?.message).toBe(
      'Some resources are remaining: pods. has 2 resource instances',
    );
    expect(conds.find((c) => c.type === 'NamespaceFinalizersRemaining')?.message).toBe(
      'Some content in the namespace has finalizers remaining: foregroundDeletion in 1 resource instances',
    );
  });
});
