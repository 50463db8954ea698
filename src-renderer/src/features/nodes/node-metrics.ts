// A node's CPU and memory use over time, from metrics.k8s.io (NodeMetrics), polled while its page is
// open. The series outlive the page (per node, bounded), so coming back shows the recent past.
import { onScopeDispose, ref, shallowRef } from 'vue';
import { parseQuantity } from '../../../../src-main/shared/quantity';
import { apiContext } from '../../api/context';

export const METRICS_POLL_MS = 10_000;
/** One hour at the poll interval. */
export const MAX_SAMPLES = 360;

export interface UsageSample {
  /** Unix seconds (uPlot's x unit). */
  t: number;
  cpuCores: number;
  memoryBytes: number;
}

function exact(q: string): number {
  const parsed = parseQuantity(q);
  return Number(parsed.mantissa) * 10 ** parsed.scale;
}

/** A NodeMetrics object as one sample (its own timestamp, usage in cores and bytes). */
export function parseNodeMetrics(body: unknown): UsageSample | undefined {
  const m = body as { timestamp?: string; usage?: { cpu?: string; memory?: string } } | undefined;
  if (!m?.usage?.cpu || !m.usage.memory) return undefined;
  const at = m.timestamp ? Date.parse(m.timestamp) : NaN;
  try {
    return {
      t: (Number.isNaN(at) ? Date.now() : at) / 1000,
      cpuCores: exact(m.usage.cpu),
      memoryBytes: exact(m.usage.memory),
    };
  } catch {
    return undefined;
  }
}

/** Appends a sample unless it repeats the last timestamp (the server caches a few seconds); keeps the newest `max`. */
export function appendSample(
  series: readonly UsageSample[],
  s: UsageSample,
  max = MAX_SAMPLES,
): UsageSample[] {
  const last = series[series.length - 1];
  if (last && s.t <= last.t) return series as UsageSample[];
  const out = [...series, s];
  return out.length > max ? out.slice(out.length - max) : out;
}

export type MetricsState =
  | { kind: 'loading' }
  | { kind: 'ok' }
  | { kind: 'unavailable'; why: string }
  | { kind: 'error'; why: string };

const history = new Map<string, UsageSample[]>();

/** Polls the node's metrics while the calling component lives. */
export function useNodeMetrics(node: () => string, intervalMs = METRICS_POLL_MS) {
  const samples = shallowRef<UsageSample[]>(history.get(node()) ?? []);
  const state = ref<MetricsState>({ kind: 'loading' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function poll(): Promise<void> {
    const name = node();
    try {
      const res = await apiContext().transport.request({
        method: 'GET',
        path: `/apis/metrics.k8s.io/v1beta1/nodes/${encodeURIComponent(name)}`,
      });
      const message = (res.body as { message?: string } | undefined)?.message;
      if (res.status === 200) {
        const s = parseNodeMetrics(res.body);
        if (s) {
          const next = appendSample(history.get(name) ?? [], s);
          history.set(name, next);
          samples.value = next;
          state.value = { kind: 'ok' };
        } else state.value = { kind: 'error', why: 'the answer had no usage figures' };
      } else if (res.status === 404) {
        // "nodes.metrics.k8s.io "x" not found" is about this node; anything else means no such API here.
        const aboutNode = message !== undefined && message.includes(`"${name}"`);
        state.value = {
          kind: 'unavailable',
          why: aboutNode
            ? `No usage figures for ${name} yet: ${message}`
            : 'This server does not serve the resource metrics API (metrics.k8s.io).',
        };
      } else state.value = { kind: 'error', why: message ?? `HTTP ${res.status}` };
    } catch (err) {
      state.value = { kind: 'error', why: (err as Error)?.message ?? String(err) };
    }
    if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
  }

  void poll();
  onScopeDispose(() => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  });
  return { samples, state };
}

/** "1.5 GiB", "640 MiB": for chart axes, where canonical quantities read badly. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** "250m", "1.25": cores the way kubectl top prints CPU (millicores below one core). */
export function humanCores(cores: number): string {
  if (cores < 1) return `${Math.round(cores * 1000)}m`;
  return `${Number(cores.toFixed(2))}`;
}
