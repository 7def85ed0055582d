/**
 * The README's benchmark table, written from a results file (`npm run bench -- --readme` writes it
 * from bench/results/latest.json), so the figures a reader sees are the measured ones, with the
 * date, machine and load they were measured under. Only the text between the two markers is
 * replaced; the rest of the README is left as it is.
 */
import type { BenchResults } from './results.ts';
import { TABLE_HEADER, tableCells } from './table.ts';

export const TABLE_START =
  '<!-- bench-table:start: written by `npm run bench -- --readme` from bench/results/latest.json; do not edit by hand -->';
export const TABLE_END = '<!-- bench-table:end -->';

/** A Markdown cell: no line breaks, and a `|` that does not end the cell. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');

const load = (l: readonly number[]) => l.map((n) => n.toFixed(2)).join(' / ');

/** "2026-12-02 00:40 UTC" from an ISO date. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

export function markdownTable(results: BenchResults): string {
  const { machine } = results;
  const met = results.reports.filter((r) => r.goalMet === true).length;
  const checked = results.reports.filter((r) => r.goalMet !== null).length;
  const lines = [
    `Measured ${when(results.date)} on ${machine.cpus} × ${machine.cpuModel} (${machine.memoryGiB} GiB, ${machine.platform}), ` +
      `load average (1 / 5 / 15 min) ${load(machine.loadAverage.start)} at the start and ${load(machine.loadAverage.end)} at the end, ` +
      `Node.js ${results.node}${results.commit ? `, commit ${results.commit}` : ''}. ` +
      `${met} of ${checked} goals met. Each ratio is Parley over a reference measured in the same run.`,
    '',
    `| ${TABLE_HEADER.join(' | ')} |`,
    `|${TABLE_HEADER.map(() => '---').join('|')}|`,
    ...results.reports.map((r) => `| ${tableCells(r).map(cell).join(' | ')} |`),
  ];
  if (results.failures.length > 0) {
    lines.push('', 'Failed to run:', ...results.failures.map((f) => `- ${cell(f.name)}: ${cell(f.error)}`));
  }
  return lines.join('\n');
}

/** The README with the text between the markers replaced by `table`; both markers must be there once. */
export function replaceTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < 0 || end < start || readme.indexOf(TABLE_START, start + 1) >= 0) {
    throw new Error(
      `the README needs the markers ${TABLE_START} and ${TABLE_END}, once each and in that order`,
    );
  }
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
