/**
 * The benchmark harness's vocabulary. These machines are noisy (2 shared cores), so a number on
 * its own means little: every benchmark measures Parley and a reference in the same run, and only
 * their ratio is compared with a goal. Rounds of the two are interleaved so a burst of background
 * load hurts both sides alike, and which side goes first alternates from pair to pair (P R, R P,
 * P R ...): the side that runs second always inherits the caches, JIT state, GC debt and turbo
 * clock the first left behind, and a fixed order would credit or charge that to one side only.
 * The median round of each side is kept.
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
  /** `--full`: benchmarks with a short default run do their full-size one (e.g. 100 Tenants). */
  full?: boolean;
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
 * The order in which `sides` sides run in round `round`: rotated by one each round, so over any
 * `sides` consecutive rounds each side goes first once (for two: 0 1, then 1 0, then 0 1 ...).
 */
export function sideOrder(round: number, sides: number): number[] {
  return Array.from({ length: sides }, (_, position) => (round + position) % sides);
}

/** Measures one pair, `a` first in even rounds and `b` first in odd ones; results in (a, b) order. */
export async function runPair<A, B>(
  round: number,
  a: () => Promise<A>,
  b: () => Promise<B>,
): Promise<[A, B]> {
  if (round % 2 === 0) {
    const first = await a();
    return [first, await b()];
  }
  const first = await b();
  return [await a(), first];
}

/**
 * Runs two sides in alternating rounds (which one goes first alternates too) and returns the median of each. `side` measures one round
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
    const [p, r] = await runPair(
      round,
      () => parley(context.roundMs),
      () => reference(context.roundMs),
    );
    parleyRates.push(p);
    referenceRates.push(r);
  }
  return { parley: median(parleyRates), reference: median(referenceRates) };
}
