/**
 * The results file of a benchmark run (bench/results/latest.json and the dated copies beside it):
 * what was measured, and when, where and under how much load, so a figure read later (in the
 * README's table, say) says which machine and which moment it comes from. A number that is not
 * finite (a ratio over a zero reference) is written as null, which JSON can hold.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { BenchContext, BenchmarkReport } from './harness.ts';

const Finite = Type.Union([Type.Number(), Type.Null()]);
const LoadAverage = Type.Tuple([Type.Number(), Type.Number(), Type.Number()], {
  description: 'os.loadavg(): 1, 5 and 15 minutes',
});
const RecordedMeasurement = Type.Object({ label: Type.String(), value: Finite, unit: Type.String() });

export const BenchResultsSchema = Type.Object({
  /** ISO 8601, when the run started. */
  date: Type.String(),
  machine: Type.Object({
    cpus: Type.Integer(),
    cpuModel: Type.String(),
    memoryGiB: Type.Number(),
    platform: Type.String(),
    loadAverage: Type.Object({ start: LoadAverage, end: LoadAverage }),
  }),
  node: Type.String(),
  /** The commit measured, when git could say. */
  commit: Type.Optional(Type.String()),
  context: Type.Object({ roundMs: Type.Number(), rounds: Type.Integer() }),
  reports: Type.Array(
    Type.Object({
      name: Type.String(),
      goal: Type.String(),
      parley: RecordedMeasurement,
      reference: RecordedMeasurement,
      ratio: Finite,
      goalMet: Type.Union([Type.Boolean(), Type.Null()]),
      details: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Null()])),
    }),
  ),
  failures: Type.Array(Type.Object({ name: Type.String(), error: Type.String() })),
});

export type BenchResults = Static<typeof BenchResultsSchema>;
export type RecordedReport = BenchResults['reports'][number];
export type MachineLoad = BenchResults['machine']['loadAverage']['start'];

const validator = Compile(BenchResultsSchema);

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** A report as the file holds it: every number finite or null. */
export function toRecorded(report: BenchmarkReport): RecordedReport {
  const details: RecordedReport['details'] = {};
  for (const [key, value] of Object.entries(report.details)) {
    details[key] = typeof value === 'number' ? finite(value) : value;
  }
  return {
    ...report,
    parley: { ...report.parley, value: finite(report.parley.value) },
    reference: { ...report.reference, value: finite(report.reference.value) },
    ratio: finite(report.ratio),
    details,
  };
}

export function currentLoad(): MachineLoad {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return [one, five, fifteen];
}

/** The machine as it is now; `loadAverage.end` is filled in when the run ends. */
export function describeMachine(): BenchResults['machine'] {
  const load = currentLoad();
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { start: load, end: load },
  };
}

/** The short commit of the checkout, or undefined outside git. */
export function currentCommit(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return undefined;
  }
}

export function newResults(
  context: BenchContext,
  commit: string | undefined,
  date = new Date(),
): BenchResults {
  return {
    date: date.toISOString(),
    machine: describeMachine(),
    node: process.version,
    ...(commit ? { commit } : {}),
    context,
    reports: [],
    failures: [],
  };
}

/** Reads a results file's text; a file of another shape is refused, naming what is wrong. */
export function parseResults(text: string, source: string): BenchResults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (!validator.Check(value)) {
    const problems = validator.Errors(value).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`${source} is not a benchmark results file: ${problems.slice(0, 5).join('; ')}`);
  }
  return value;
}
