/**
 * `npm run bench [name-filter]`: runs every tests/bench/benchmarks/*.bench.ts (or those whose
 * name contains the filter), prints a table and writes it as JSON under bench/results/.
 * The dev CLI has already brought the local stack up and put its settings in the environment.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Benchmark, BenchmarkReport } from './harness.ts';
import { report } from './harness.ts';
import { formatTable } from './table.ts';

const benchDir = resolve(import.meta.dirname, 'benchmarks');
const resultsDir = resolve(import.meta.dirname, '../../bench/results');
const context = { roundMs: 2_000, rounds: 3 };

async function loadBenchmarks(filter: string | undefined): Promise<Benchmark[]> {
  const files = (await readdir(benchDir)).filter((file) => file.endsWith('.bench.ts')).sort();
  const benchmarks: Benchmark[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(benchDir, file)).href)) as {
      default: Benchmark | Benchmark[];
    };
    benchmarks.push(...[module.default].flat());
  }
  return filter ? benchmarks.filter((b) => b.name.includes(filter)) : benchmarks;
}

async function main(): Promise<number> {
  const filter = process.argv[2];
  const benchmarks = await loadBenchmarks(filter);
  if (benchmarks.length === 0) {
    process.stderr.write(`no benchmark matches ${JSON.stringify(filter)}\n`);
    return 1;
  }
  const reports: BenchmarkReport[] = [];
  const failures: { name: string; error: string }[] = [];
  for (const benchmark of benchmarks) {
    process.stdout.write(`running ${benchmark.name} ...\n`);
    try {
      reports.push(report(benchmark, await benchmark.run(context)));
    } catch (error) {
      failures.push({ name: benchmark.name, error: (error as Error).message });
      process.stderr.write(`  ${benchmark.name} failed: ${(error as Error).message}\n`);
    }
  }
  process.stdout.write(`\n${formatTable(reports)}\n`);
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().replaceAll(':', '-')}.json`);
  await writeFile(file, `${JSON.stringify({ context, reports, failures }, null, 2)}\n`);
  process.stdout.write(`\nwritten to ${file}\n`);
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
