// @vitest-environment happy-dom
// The Pods view as a person uses it: rows from the live store, namespace filter, search, sort by
// clicking a header, and the empty state that teaches what to do first.
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createInformer } from '../../../../src-main/shared/kube/informer';
import { createFakeKubeApi, waitFor } from '../../../../src-main/shared/kube/testing';
import type { FakeKubeApi } from '../../../../src-main/shared/kube/testing';
import type { Transport } from '../../../../src-main/shared/kube/types';
import { setApiContext } from '../../api/context';
import { createInformerRegistry } from '../../api/informer-registry';
import type { Pod } from '../../lib/kube-types';
import { R } from '../../lib/resources';
import PodsView from './PodsView.vue';

const noTransport: Transport = {
  request: () => Promise.reject(new Error('not used')),
  stream: () => Promise.reject(new Error('not used')),
};

function pod(name: string, namespace: string, waiting?: string, podIP?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, creationTimestamp: new Date().toISOString() },
    spec: { nodeName: 'worker-1', containers: [{ name: 'c' }] },
    status: {
      phase: 'Running',
      ...(podIP ? { podIP } : {}),
      containerStatuses: [
        {
          name: 'c',
          ready: !waiting,
          restartCount: waiting ? 3 : 0,
          state: waiting ? { waiting: { reason: waiting } } : { running: {} },
        },
      ],
    },
  };
}

async function mountView() {
  const pinia = createPinia();
  setActivePinia(pinia);
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }],
  });
  const wrapper = mount(PodsView, { global: { plugins: [pinia, router] } });
  await flushPromises();
  return wrapper;
}

const rowNames = (wrapper: Awaited<ReturnType<typeof mountView>>) =>
  wrapper.findAll('.vt-row').map((r) => r.find('.name').text());

// happy-dom does no layout; give elements a viewport-sized box so the virtualiser renders rows.
const layout = { clientHeight: 800, clientWidth: 1200 };
const saved = Object.fromEntries(
  Object.keys(layout).map((k) => [k, Object.getOwnPropertyDescriptor(HTMLElement.prototype, k)]),
);

describe('PodsView', () => {
  let api: FakeKubeApi;
  const realResizeObserver = globalThis.ResizeObserver;
  beforeAll(() => {
    for (const [k, v] of Object.entries(layout))
      Object.defineProperty(HTMLElement.prototype, k, { configurable: true, get: () => v });
    // happy-dom's ResizeObserver reports empty boxes, which would shrink the viewport back to zero.
    globalThis.ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    } as unknown as typeof ResizeObserver;
  });
  afterAll(() => {
    for (const [k, d] of Object.entries(saved)) if (d) Object.defineProperty(HTMLElement.prototype, k, d);
    globalThis.ResizeObserver = realResizeObserver;
  });
  beforeEach(() => {
    api = createFakeKubeApi();
    setApiContext({
      transport: noTransport,
      api,
      informers: createInformerRegistry((r) => createInformer(api, r), { lingerMs: 0 }),
    });
  });
  afterEach(() => setApiContext(undefined));

  it('teaches what to do first when there are no pods', async () => {
    const wrapper = await mountView();
    await waitFor(async () => (await flushPromises(), wrapper.text().includes('No pods yet')), 'empty state');
    expect(wrapper.find('a.btn.primary').text()).toBe('Apply a sample');
    wrapper.unmount();
  });

  it('lists live pods with status reasons, and filters, searches and sorts them', async () => {
    api.seed(R.pods, pod('web-1', 'default', undefined, '10.244.1.7'));
    api.seed(R.pods, pod('crashy', 'default', 'CrashLoopBackOff', '10.244.1.8'));
    api.seed(R.pods, pod('db-0', 'data', undefined, '10.244.2.3'));
    const wrapper = await mountView();
    await waitFor(async () => (await flushPromises(), wrapper.findAll('.vt-row').length === 3), 'rows');
    expect(rowNames(wrapper)).toEqual(['crashy', 'db-0', 'web-1']);
    expect(wrapper.text()).toContain('CrashLoopBackOff');
    expect(wrapper.text()).toContain('10.244.1.7');

    await wrapper.find('select[aria-label="Namespace"]').setValue('data');
    expect(rowNames(wrapper)).toEqual(['db-0']);
    await wrapper.find('select[aria-label="Namespace"]').setValue('');

    await wrapper.find('input[aria-label="Search pods"]').setValue('crash');
    expect(rowNames(wrapper)).toEqual(['crashy']);
    await wrapper.find('input[aria-label="Search pods"]').setValue('');

    // Clicking "Name" again reverses the order.
    const nameHeader = wrapper.findAll('[role="columnheader"]').find((h) => h.text().startsWith('Name'))!;
    await nameHeader.trigger('click');
    expect(rowNames(wrapper)).toEqual(['web-1', 'db-0', 'crashy']);

    // A change in the API reaches the row without any refresh.
    api.seed(R.pods, pod('web-2', 'default', 'ImagePullBackOff'));
    await waitFor(async () => (await flushPromises(), wrapper.findAll('.vt-row').length === 4), 'new row');
    expect(wrapper.text()).toContain('ImagePullBackOff');
    wrapper.unmount();
  });
});
