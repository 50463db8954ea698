// `npm run bench -- NAME`: runs bench/NAME.bench.ts, prints its rows as a table and writes
// bench-results/NAME.json. A bench module exports `run(): Promise<BenchRow[]>`.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow } from './lib/results';
import { writeResults } from './lib/results';
import { formatTable } from './lib/table';

const here = dirname(fileURLToPath(import.meta.url));

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .sort();
}

async function main(): Promise<number> {
  const name = process.argv[2];
  if (!name || !/^[\w-]+$/.test(name)) {
    console.error(`usage: npm run bench -- NAME   (available: ${available().join(', ')})`);
    return 2;
  }
  const file = join(here, `${name}.bench.ts`);
  if (!existsSync(file)) {
    console.error(`no benchmark "${name}" (available: ${available().join(', ')})`);
    return 2;
  }
  const mod = (await import(pathToFileURL(file).href)) as { run?: () => Promise<BenchRow[]> };
  if (typeof mod.run !== 'function') {
    console.error(`${file} does not export run()`);
    return 2;
  }
  const rows = await mod.run();
  console.log(`\n${name}\n`);
  console.log(formatTable(rows));
  const out = writeResults(name, rows);
  console.log(`\nwrote ${out}`);
  const missed = rows.filter((r) => r.meetsGoal === false).map((r) => r.name);
  if (missed.length > 0) console.log(`goal not met: ${missed.join(', ')}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
