// Slow start (controller_utils slowStartBatch): create 1, then 2, 4, 8 … in parallel, stopping at the
// first batch with a failure. A quota or admission error then costs one request, not five hundred.

export interface BatchResult {
  successes: number;
  firstError?: unknown;
}

export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<BatchResult> {
  let remaining = count;
  let successes = 0;
  let batch = Math.min(remaining, initialBatchSize);
  while (batch > 0) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    let firstError: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else firstError ??= r.reason;
    }
    if (firstError !== undefined) return { successes, firstError };
    remaining -= batch;
    batch = Math.min(2 * batch, remaining);
  }
  return { successes };
}
