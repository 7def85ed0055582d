/**
 * For timing side channels: two kinds of single request, sent one at a time as a prober would,
 * in adjacent pairs (which one goes first alternates) so a burst of the team's load on these shared
 * cores meets both alike. The ratio is the median over pairs of (second kind's time / first
 * kind's time), which such bursts move far less than either side's own median.
 */
import { median, percentile } from './harness.ts';

export interface PairedTiming {
  pairs: number;
  /** median over pairs of time(b) / time(a) */
  ratio: number;
  aMedianMs: number;
  bMedianMs: number;
  aP90Ms: number;
  bP90Ms: number;
}

export async function pairedTiming(
  pairs: number,
  a: () => Promise<void>,
  b: () => Promise<void>,
  warmupPairs = 3,
): Promise<PairedTiming> {
  const timed = async (operation: () => Promise<void>) => {
    const started = performance.now();
    await operation();
    return performance.now() - started;
  };
  for (let warmup = 0; warmup < warmupPairs; warmup++) {
    await a();
    await b();
  }
  const aTimes: number[] = [];
  const bTimes: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    if (pair % 2 === 0) {
      aTimes.push(await timed(a));
      bTimes.push(await timed(b));
    } else {
      bTimes.push(await timed(b));
      aTimes.push(await timed(a));
    }
  }
  const round = (ms: number) => Number(ms.toFixed(1));
  return {
    pairs,
    ratio: median(bTimes.map((time, pair) => time / (aTimes[pair] as number))),
    aMedianMs: round(median(aTimes)),
    bMedianMs: round(median(bTimes)),
    aP90Ms: round(percentile(aTimes, 90)),
    bP90Ms: round(percentile(bTimes, 90)),
  };
}
