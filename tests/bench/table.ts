/**
 * The harness's table: name, Parley, reference, ratio, goal, met — one row a benchmark. The same
 * cells serve the console (padded columns) and the README (a Markdown table, readme-table.ts).
 */
import type { RecordedReport } from './results.ts';

export function formatMeasurement(m: RecordedReport['parley']): string {
  if (m.value === null) return `n/a ${m.unit} (${m.label})`;
  const value = m.value >= 100 ? Math.round(m.value).toLocaleString('en-US') : m.value.toPrecision(3);
  return `${value} ${m.unit} (${m.label})`;
}

export const TABLE_HEADER = ['benchmark', 'parley', 'reference', 'ratio', 'goal', 'met'];

export function tableCells(r: RecordedReport): string[] {
  return [
    r.name,
    formatMeasurement(r.parley),
    formatMeasurement(r.reference),
    r.ratio === null ? 'n/a' : r.ratio.toFixed(2),
    r.goal,
    r.goalMet === null ? '-' : r.goalMet ? 'yes' : 'NO',
  ];
}

export function formatTable(reports: RecordedReport[]): string {
  const rows = reports.map(tableCells);
  const widths = TABLE_HEADER.map((_, column) =>
    Math.max(...[TABLE_HEADER, ...rows].map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  return [line(TABLE_HEADER), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
