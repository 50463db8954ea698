// Default score normalization (helper.DefaultNormalizeScore): scale so the highest raw score is
// MAX_NODE_SCORE; `reverse` makes the lowest raw score the best.

export function normalizeToMax(scores: Float64Array, max: number, reverse: boolean): void {
  let highest = 0;
  for (const s of scores) if (s > highest) highest = s;
  if (highest === 0) {
    if (reverse) scores.fill(max);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.floor(((scores[i] as number) * max) / highest);
    scores[i] = reverse ? max - s : s;
  }
}
