/**
 * What `npm run bench [filter] [--check] [--readme]` does (run.ts calls it with the repo's paths;
 * tests call it with their own):
 * - runs every *.bench.ts of `benchDir` (or those whose name contains the filter), prints a
 *   table and writes the results, with date, machine, load and Node version, as a dated file in
 *   `resultsDir`; a run of every benchmark also writes `latest.json` there (a filtered run does
 *   not, so the README is never written from part of the benchmarks);
 * - with --check, exits non-zero when a goal is missed or a benchmark failed (check.ts);
 * - with --readme, runs nothing: writes the README's table from `latest.json`.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { checkGoals, exitCode } from './check.ts';
import type { BenchContext, Benchmark } from './harness.ts';
import { report } from './harness.ts';
import { markdownTable, replaceTable } from './readme-table.ts';
import {
  type BenchResults,
  currentCommit,
  currentLoad,
  newResults,
  parseResults,
  toRecorded,
} from './results.ts';
import { formatTable } from './table.ts';

export interface BenchPaths {
  benchDir: string;
  resultsDir: string;
  readme: string;
  /** Where git is asked for the commit measured. */
  repoRoot: string;
}

export interface BenchOptions {
  context?: BenchContext;
  /** Progress and tables; stdout by default. */
  log?: (text: string) => void;
}

const DEFAULT_CONTEXT: BenchContext = { roundMs: 2_000, rounds: 3 };

async function loadBenchmarks(benchDir: string, filter: string | undefined): Promise<Benchmark[]> {
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

export const USAGE = 'usage: npm run bench -- [name-filter] [--check] [--full] | --readme';

function parseCommandLine(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      check: { type: 'boolean', default: false },
      readme: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new Error(`one name filter at most, got ${positionals.join(' ')}`);
  if (values.readme && (values.check || positionals.length > 0)) {
    throw new Error('--readme runs no benchmark: it takes no filter and no --check');
  }
  return { values, filter: positionals[0] };
}

async function writeReadme(paths: BenchPaths, log: (text: string) => void): Promise<number> {
  const source = join(paths.resultsDir, 'latest.json');
  const text = await readFile(source, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) {
    log(`no ${source} yet: a full \`npm run bench\` writes it\n`);
    return 1;
  }
  const results = parseResults(text, source);
  const readme = await readFile(paths.readme, 'utf8');
  await writeFile(paths.readme, replaceTable(readme, markdownTable(results)));
  log(`wrote the benchmark table of ${results.date} into ${paths.readme}\n`);
  return 0;
}

export async function benchCommand(
  argv: string[],
  paths: BenchPaths,
  options: BenchOptions = {},
): Promise<number> {
  const log = options.log ?? ((text: string) => process.stdout.write(text));
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    log(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, filter } = parsed;
  if (values.readme) return writeReadme(paths, log);

  const benchmarks = await loadBenchmarks(paths.benchDir, filter);
  if (benchmarks.length === 0) {
    log(`no benchmark matches ${JSON.stringify(filter)}\n`);
    return 1;
  }
  const context = { ...(options.context ?? DEFAULT_CONTEXT), full: values.full };
  const results: BenchResults = newResults(context, currentCommit(paths.repoRoot));
  for (const benchmark of benchmarks) {
    log(`running ${benchmark.name} ...\n`);
    try {
      results.reports.push(toRecorded(report(benchmark, await benchmark.run(context))));
    } catch (error) {
      results.failures.push({ name: benchmark.name, error: (error as Error).message });
      log(`  ${benchmark.name} failed: ${(error as Error).message}\n`);
    }
  }
  results.machine.loadAverage.end = currentLoad();
  log(`\n${formatTable(results.reports)}\n`);

  await mkdir(paths.resultsDir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const dated = join(paths.resultsDir, `${results.date.replaceAll(':', '-')}.json`);
  await writeFile(dated, text);
  log(`\nwritten to ${dated}\n`);
  if (!filter) {
    await writeFile(join(paths.resultsDir, 'latest.json'), text);
    log(
      `and to ${join(paths.resultsDir, 'latest.json')} (npm run bench -- --readme writes the README's table from it)\n`,
    );
  }
  if (values.check) {
    const outcome = checkGoals(results);
    log(
      `\ncheck: ${outcome.ok ? 'every goal met' : 'goals missed'}\n${outcome.lines.map((l) => `  ${l}\n`).join('')}`,
    );
  }
  return exitCode(results, values.check);
}
