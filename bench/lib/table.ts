// Prints benchmark rows as an aligned text table.
import type { BenchRow } from './results';
import { round } from './stats';

function cell(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(round(value));
  if (typeof value === 'boolean') return value ? 'yes' : 'NO';
  return String(value);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['name', 'value', 'unit', 'peer', 'peer value', 'ratio', 'goal', 'meets goal'];
  const body = rows.map((r) =>
    [r.name, r.value, r.unit, r.peer, r.peerValue, r.ratio, r.goal, r.meetsGoal].map(cell),
  );
  const used = header.map((_, i) => i < 3 || body.some((line) => line[i] !== ''));
  const lines = [header, ...body].map((line) => line.filter((_, i) => used[i]));
  const widths = (lines[0] as string[]).map((_, i) => Math.max(...lines.map((l) => (l[i] as string).length)));
  const numeric = (i: number) => body.every((l) => l[i] === '' || !Number.isNaN(Number(l[i])));
  const usedIndexes = header.map((_, i) => i).filter((i) => used[i]);
  const fmt = (line: string[]) =>
    line
      .map((c, j) =>
        numeric(usedIndexes[j] as number) && line !== lines[0]
          ? c.padStart(widths[j] as number)
          : c.padEnd(widths[j] as number),
      )
      .join('  ')
      .trimEnd();
  const [head, ...rest] = lines as string[][];
  return [fmt(head as string[]), widths.map((w) => '-'.repeat(w)).join('  '), ...rest.map(fmt)].join('\n');
}
