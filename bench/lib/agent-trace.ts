// The agent's pod-start trace (FLOTILLA_AGENT_TRACE=1): log lines
//   [agent] kubelet: trace NAMESPACE/NAME STAGE EPOCH_MS
// (any prefix before `trace`), read back into per-pod stage times on the bench's clock.

/** Pod name → stage → when it was first reached, in ms on the `performance.now()` scale. */
export type PodTraces = Map<string, Map<string, number>>;

const LINE = /\btrace (\S+)\/(\S+) (\S+) (\d+(?:\.\d+)?)\s*$/;

/** Parses trace lines; other lines are skipped. `timeOrigin` maps epoch ms onto performance.now(). */
export function parseAgentTrace(text: string, timeOrigin = performance.timeOrigin): PodTraces {
  const out: PodTraces = new Map();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, , name, stage, epoch] = m as unknown as [string, string, string, string, string];
    let stages = out.get(name);
    if (!stages) out.set(name, (stages = new Map()));
    // The first time counts: a pod's later syncs repeat stages like `sync`.
    if (!stages.has(stage)) stages.set(stage, Number(epoch) - timeOrigin);
  }
  return out;
}
