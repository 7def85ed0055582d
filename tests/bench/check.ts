/**
 * `npm run bench -- --check`: whether a run met its goals. A missed goal and a benchmark that
 * failed to run both fail the check (a benchmark that crashed has met nothing); a benchmark
 * without a goal (goalMet null) is reported and does not. A run that measured nothing fails: a
 * filter that matched nothing must not read as success.
 */
import type { BenchResults } from './results.ts';

export interface CheckOutcome {
  ok: boolean;
  /** One line per benchmark that did not pass, or had nothing to pass. */
  lines: string[];
}

export function checkGoals(results: Pick<BenchResults, 'reports' | 'failures'>): CheckOutcome {
  const lines: string[] = [];
  let ok = true;
  if (results.reports.length === 0 && results.failures.length === 0) {
    return { ok: false, lines: ['no benchmark ran'] };
  }
  for (const report of results.reports) {
    const ratio = report.ratio === null ? 'n/a' : report.ratio.toFixed(2);
    if (report.goalMet === false) {
      ok = false;
      lines.push(`MISSED ${report.name}: ratio ${ratio}, goal ${report.goal}`);
    } else if (report.goalMet === null) {
      lines.push(`no goal ${report.name}: ratio ${ratio} (reported, not checked)`);
    }
  }
  for (const failure of results.failures) {
    ok = false;
    lines.push(`FAILED ${failure.name}: ${failure.error}`);
  }
  return { ok, lines };
}

/**
 * The exit code of a run: with --check, non-zero unless every goal was met; without it, non-zero
 * only when a benchmark failed to run (a slow figure is still a figure worth writing down).
 */
export function exitCode(results: Pick<BenchResults, 'reports' | 'failures'>, check: boolean): number {
  if (check) return checkGoals(results).ok ? 0 : 1;
  return results.failures.length > 0 || results.reports.length === 0 ? 1 : 0;
}
