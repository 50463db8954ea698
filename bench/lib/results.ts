// The benchmark result format (DESIGN.md "Contracts"): one row per figure, with the peer measured in
// the same run where there is one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** What the figure is compared with, e.g. "etcd 3.4.23". */
  peer?: string;
  peerValue?: number;
  /** value / peerValue. */
  ratio?: number;
  /** The target, in words, e.g. ">= etcd" or "<= etcd". */
  goal?: string;
  meetsGoal?: boolean;
}

/** Which direction is better for a figure compared with a peer. */
export type Better = 'higher' | 'lower';

/** A row compared with a peer: ratio = ours / peer; the goal is to be at least as good as the peer. */
export function comparedRow(
  name: string,
  value: number,
  unit: string,
  peer: string,
  peerValue: number,
  better: Better,
): BenchRow {
  const ratio = value / peerValue;
  return {
    name,
    value,
    unit,
    peer,
    peerValue,
    ratio,
    goal: better === 'higher' ? `>= ${peer}` : `<= ${peer}`,
    meetsGoal: better === 'higher' ? ratio >= 1 : ratio <= 1,
  };
}

export function writeResults(name: string, rows: BenchRow[], dir = 'bench-results'): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(rows, null, 2) + '\n');
  return file;
}
