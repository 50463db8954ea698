import { describe, expect, it } from 'vitest';
import { humanDuration, since } from './print';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (kubectl ages)', () => {
  it.each([
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 2 * s, '3m2s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 20 * m, '5h20m'],
    [8 * h + 20 * m, '8h'],
    [47 * h, '47h'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d, '7d'],
    [45 * d, '45d'],
    [730 * d, '2y'],
    [740 * d, '2y10d'],
    [9 * 365 * d, '9y'],
  ])('%d ms → %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });

  it('ages from timestamps', () => {
    const now = new Date('2025-01-01T12:00:00Z');
    expect(since('2025-01-01T11:55:00Z', now)).toBe('5m');
    expect(since(undefined, now)).toBe('<unknown>');
    expect(since('not a time', now)).toBe('<unknown>');
  });
});
