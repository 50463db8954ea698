// Key-range helpers shared by the backends. Keys are compared by Unicode code point, which is the
// order SQLite's BINARY collation gives UTF-8 text (and etcd gives bytes), so every backend lists in
// the same order.

/** Compares two keys by code point (plain `<` compares UTF-16 units, which differs past U+FFFF). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codeUnitRank(ca) - codeUnitRank(cb);
  }
  return a.length - b.length;
}

// Surrogates (D800–DFFF) encode code points above FFFF, so they must rank above E000–FFFF.
function codeUnitRank(c: number): number {
  if (c >= 0xe000) return c - 0x800;
  if (c >= 0xd800) return c + 0x2000;
  return c;
}

/**
 * The smallest key greater than every key starting with `prefix`, or undefined when there is none
 * (empty prefix, or a prefix of only U+10FFFF). Lets a prefix scan be an index range `[prefix, end)`.
 */
export function prefixEnd(prefix: string): string | undefined {
  const chars = Array.from(prefix);
  while (chars.length > 0) {
    const last = chars.pop() as string;
    let next = (last.codePointAt(0) as number) + 1;
    if (next === 0xd800) next = 0xe000; // skip the surrogate block: not valid scalar values
    if (next <= 0x10ffff) return chars.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

/** Where a prefix scan starts: the prefix itself, or `startKey` (a continue token) when it lies further. */
export function rangeStart(prefix: string, startKey: string | undefined): string {
  return startKey !== undefined && compareKeys(startKey, prefix) > 0 ? startKey : prefix;
}
