/** The harness's table: name, Parley, reference, ratio, goal — one row a benchmark. */
import type { BenchmarkReport, Measurement } from './harness.ts';

function formatMeasurement(m: Measurement): string {
  const value = m.value >= 100 ? Math.round(m.value).toLocaleString('en-US') : m.value.toPrecision(3);
  return `${value} ${m.unit} (${m.label})`;
}

export function formatTable(reports: BenchmarkReport[]): string {
  const header = ['benchmark', 'parley', 'reference', 'ratio', 'goal', 'met'];
  const rows = reports.map((r) => [
    r.name,
    formatMeasurement(r.parley),
    formatMeasurement(r.reference),
    Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : 'n/a',
    r.goal,
    r.goalMet === null ? '-' : r.goalMet ? 'yes' : 'NO',
  ]);
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
