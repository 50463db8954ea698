// Is the control plane reachable, and which version is it? Polls /readyz (cheap, public) so the header
// can say "connected" or "reconnecting" even while no watch is delivering anything.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { apiContext } from '../api/context';

export type ConnectionState = 'connecting' | 'online' | 'offline';

export const HEALTH_INTERVAL_MS = 5000;

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('connecting');
  const version = ref<string | undefined>();
  const lastError = ref<string | undefined>();
  const lastCheckedAt = ref<number | undefined>();
  let timer: ReturnType<typeof setInterval> | undefined;

  async function check(): Promise<void> {
    const { transport } = apiContext();
    try {
      const res = await transport.request({ method: 'GET', path: '/readyz', accept: 'text/plain' });
      state.value = res.status === 200 ? 'online' : 'offline';
      lastError.value = res.status === 200 ? undefined : `the server answered ${res.status}`;
      if (res.status === 200 && version.value === undefined) {
        const v = await transport.request({ method: 'GET', path: '/version' });
        version.value = (v.body as { gitVersion?: string } | undefined)?.gitVersion;
      }
    } catch (err) {
      state.value = 'offline';
      lastError.value = (err as Error)?.message ?? String(err);
    }
    lastCheckedAt.value = Date.now();
  }

  function start(): void {
    if (timer !== undefined) return;
    void check();
    timer = setInterval(() => void check(), HEALTH_INTERVAL_MS);
  }

  function stop(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  return { state, version, lastError, lastCheckedAt, check, start, stop };
});
