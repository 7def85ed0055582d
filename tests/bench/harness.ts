/**
 * The benchmark harness's vocabulary. These machines are noisy (2 shared cores), so a number on
 * its own means little: every benchmark measures Parley and a reference in the same run, and only
 * their ratio is compared with a goal. Rounds of the two are interleaved (P R P R ...) so a burst
 * of background load hurts both sides alike, and the median round of each side is kept.
 */

export interface Measurement {
  /** What was measured, e.g. "kit /health" or "bare Fastify hello-world". */
  label: string;
  value: number;
  /** e.g. "req/s", "ops/s", "records/s". Higher is better unless the benchmark says otherwise. */
  unit: string;
}

export interface BenchmarkOutcome {
  parley: Measurement;
  reference: Measurement;
  /** Extra numbers worth reporting (p50, p99, counts...). */
  details?: Record<string, number | string>;
  /** For goals that are not a plain ratio (say, "p99 <= 1 s"): the benchmark decides. */
  goalMet?: boolean;
}

export interface Benchmark {
  /** Kebab-case and unique, e.g. "kit-health-vs-fastify". */
  name: string;
  /** The goal in words, e.g. ">= 0.8 x bare Fastify". */
  goal: string;
  /** Ratio parley/reference the goal asks for, when the goal is a ratio. */
  minRatio?: number;
  /** Whether the local stack must be up (the bench command brings it up either way). */
  needsStack: boolean;
  run(context: BenchContext): Promise<BenchmarkOutcome>;
}

export interface BenchContext {
  /** Time one round of one side may take; benchmarks scale their work to it. */
  roundMs: number;
  /** Rounds per side; the median is reported. */
  rounds: number;
}

export interface BenchmarkReport {
  name: string;
  goal: string;
  parley: Measurement;
  reference: Measurement;
  ratio: number;
  goalMet: boolean | null;
  details: Record<string, number | string>;
}

export function report(benchmark: Benchmark, outcome: BenchmarkOutcome): BenchmarkReport {
  const ratio = outcome.parley.value / outcome.reference.value;
  const goalMet =
    outcome.goalMet ??
    (benchmark.minRatio === undefined ? null : Number.isFinite(ratio) && ratio >= benchmark.minRatio);
  return {
    name: benchmark.name,
    goal: benchmark.goal,
    parley: outcome.parley,
    reference: outcome.reference,
    ratio,
    goalMet,
    details: outcome.details ?? {},
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** How many times `operation` completes per second, run back to back for `durationMs`. */
export async function opsPerSecond(
  operation: () => Promise<unknown> | unknown,
  durationMs: number,
): Promise<number> {
  const started = performance.now();
  let count = 0;
  let elapsed = 0;
  do {
    await operation();
    count++;
    elapsed = performance.now() - started;
  } while (elapsed < durationMs);
  return count / (elapsed / 1000);
}

/**
 * Runs two sides in alternating rounds and returns the median of each. `side` measures one round
 * and returns its rate; a warm-up round of each side is run first and thrown away (JIT, caches).
 */
export async function interleave(
  context: BenchContext,
  parley: (roundMs: number) => Promise<number>,
  reference: (roundMs: number) => Promise<number>,
): Promise<{ parley: number; reference: number }> {
  const warmupMs = Math.max(200, context.roundMs / 4);
  await parley(warmupMs);
  await reference(warmupMs);
  const parleyRates: number[] = [];
  const referenceRates: number[] = [];
  for (let round = 0; round < context.rounds; round++) {
    parleyRates.push(await parley(context.roundMs));
    referenceRates.push(await reference(context.roundMs));
  }
  return { parley: median(parleyRates), reference: median(referenceRates) };
}
