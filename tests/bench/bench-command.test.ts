/**
 * The bench command's own logic, on fake benchmarks and fake results (no benchmark is run here:
 * the machines are shared and a real run says nothing in a test): the check's verdicts and exit
 * code, the results file, the README table, and the order in which pairs are measured.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BenchPaths, benchCommand } from './bench-command.ts';
import { checkGoals, exitCode } from './check.ts';
import { interleave, runPair, sideOrder } from './harness.ts';
import { markdownTable, replaceTable, TABLE_END, TABLE_START } from './readme-table.ts';
import { type BenchResults, parseResults, type RecordedReport } from './results.ts';

const reportOf = (name: string, ratio: number | null, goalMet: boolean | null): RecordedReport => ({
  name,
  goal: '>= 0.8 x bare Fastify',
  parley: { label: 'kit /health', value: ratio === null ? null : 8000 * ratio, unit: 'req/s' },
  reference: { label: 'bare Fastify', value: 8000, unit: 'req/s' },
  ratio,
  goalMet,
  details: {},
});

const fakeResults = (reports: RecordedReport[], failures: BenchResults['failures'] = []): BenchResults => ({
  date: '2026-12-02T00:40:12.345Z',
  machine: {
    cpus: 2,
    cpuModel: 'Fake CPU @ 2.0GHz',
    memoryGiB: 7.8,
    platform: 'linux x64',
    loadAverage: { start: [3.1, 2.5, 2], end: [3.4, 2.6, 2.05] },
  },
  node: 'v24.21.0',
  commit: 'abc1234',
  context: { roundMs: 2000, rounds: 3 },
  reports,
  failures,
});

describe('npm run bench -- --check', () => {
  it('passes when every goal is met, and reports a benchmark without a goal', () => {
    const outcome = checkGoals(fakeResults([reportOf('a', 0.9, true), reportOf('b', 1.3, null)]));
    expect(outcome).toEqual({ ok: true, lines: ['no goal b: ratio 1.30 (reported, not checked)'] });
  });

  it('fails naming a missed goal and a benchmark that failed to run', () => {
    const results = fakeResults(
      [
        reportOf('kit-health', 0.62, false),
        reportOf('fine', 0.95, true),
        reportOf('broken-ratio', null, false),
      ],
      [{ name: 'audit-append', error: 'connect ECONNREFUSED' }],
    );
    expect(checkGoals(results)).toEqual({
      ok: false,
      lines: [
        'MISSED kit-health: ratio 0.62, goal >= 0.8 x bare Fastify',
        'MISSED broken-ratio: ratio n/a, goal >= 0.8 x bare Fastify',
        'FAILED audit-append: connect ECONNREFUSED',
      ],
    });
  });

  it('exits non-zero on a missed goal only with --check, and on a failure or an empty run always', () => {
    const missed = fakeResults([reportOf('a', 0.5, false)]);
    expect(exitCode(missed, true)).toBe(1);
    expect(exitCode(missed, false)).toBe(0);
    const met = fakeResults([reportOf('a', 0.9, true)]);
    expect(exitCode(met, true)).toBe(0);
    const failed = fakeResults([reportOf('a', 0.9, true)], [{ name: 'b', error: 'x' }]);
    expect(exitCode(failed, true)).toBe(1);
    expect(exitCode(failed, false)).toBe(1);
    expect(exitCode(fakeResults([]), true)).toBe(1);
    expect(exitCode(fakeResults([]), false)).toBe(1);
  });
});

describe('the README benchmark table', () => {
  it('holds date, machine, load, Node version and one row a benchmark, with | escaped', () => {
    const results = fakeResults(
      [reportOf('kit-health', 0.91, true), { ...reportOf('odd', null, null), goal: 'p99 | p50' }],
      [{ name: 'audit-append', error: 'refused\nat line 2' }],
    );
    expect(markdownTable(results)).toBe(
      [
        'Measured 2026-12-02 00:40 UTC on 2 × Fake CPU @ 2.0GHz (7.8 GiB, linux x64), load average (1 / 5 / 15 min) 3.10 / 2.50 / 2.00 at the start and 3.40 / 2.60 / 2.05 at the end, Node.js v24.21.0, commit abc1234. 1 of 1 goals met. Each ratio is Parley over a reference measured in the same run.',
        '',
        '| benchmark | parley | reference | ratio | goal | met |',
        '|---|---|---|---|---|---|',
        '| kit-health | 7,280 req/s (kit /health) | 8,000 req/s (bare Fastify) | 0.91 | >= 0.8 x bare Fastify | yes |',
        '| odd | n/a req/s (kit /health) | 8,000 req/s (bare Fastify) | n/a | p99 \\| p50 | - |',
        '',
        'Failed to run:',
        '- audit-append: refused at line 2',
      ].join('\n'),
    );
  });

  it('replaces only the text between the markers, again and again', () => {
    const readme = `# Title\n\nBefore.\n\n${TABLE_START}\nold table\n${TABLE_END}\n\nAfter.\n`;
    const once = replaceTable(readme, 'new table');
    expect(once).toBe(`# Title\n\nBefore.\n\n${TABLE_START}\nnew table\n${TABLE_END}\n\nAfter.\n`);
    expect(replaceTable(once, 'new table')).toBe(once);
  });

  it('refuses a README without both markers in order', () => {
    expect(() => replaceTable('# no markers', 'x')).toThrow(/markers/);
    expect(() => replaceTable(`${TABLE_END}\n${TABLE_START}`, 'x')).toThrow(/markers/);
    expect(() => replaceTable(`${TABLE_START}${TABLE_START}${TABLE_END}`, 'x')).toThrow(/markers/);
  });
});

describe('results files', () => {
  it('refuses a file of another shape, naming what is wrong', () => {
    expect(() => parseResults('{"date": 1}', 'latest.json')).toThrow(
      /latest.json is not a benchmark results file: /,
    );
    expect(() => parseResults('not json', 'latest.json')).toThrow(/latest.json is not JSON/);
    const good = fakeResults([reportOf('a', 0.9, true)]);
    expect(parseResults(JSON.stringify(good), 'x')).toEqual(good);
  });
});

describe('the bench command on fake benchmarks', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  /** A folder of fake benchmarks whose Parley side runs at `ratio` of the reference. */
  async function setup(ratios: Record<string, number>): Promise<BenchPaths> {
    const root = await mkdtemp(join(tmpdir(), 'parley-bench-'));
    dirs.push(root);
    const benchDir = join(root, 'benchmarks');
    await mkdir(benchDir);
    for (const [name, ratio] of Object.entries(ratios)) {
      await writeFile(
        join(benchDir, `${name}.bench.ts`),
        `export default {
          name: '${name}', goal: '>= 0.8 x reference', minRatio: 0.8, needsStack: false,
          async run() {
            return {
              parley: { label: 'p', value: ${1000 * ratio}, unit: 'ops/s' },
              reference: { label: 'r', value: 1000, unit: 'ops/s' },
            };
          },
        };\n`,
      );
    }
    const readme = join(root, 'README.md');
    await writeFile(readme, `# Fake\n\n${TABLE_START}\n${TABLE_END}\n`);
    return { benchDir, resultsDir: join(root, 'results'), readme, repoRoot: root };
  }

  const quiet = { log: () => {} };

  it('--check exits non-zero when a goal is missed, and a plain run still exits zero', async () => {
    const paths = await setup({ fast: 1.1, slow: 0.5 });
    expect(await benchCommand(['--check'], paths, quiet)).toBe(1);
    expect(await benchCommand([], paths, quiet)).toBe(0);
    expect(await benchCommand(['--check', 'fast'], paths, quiet)).toBe(0);
    expect(await benchCommand(['--check', 'nothing-matches'], paths, quiet)).toBe(1);
    expect(await benchCommand(['--chek'], paths, quiet)).toBe(2); // a typo runs nothing
    expect(await benchCommand(['a', 'b'], paths, quiet)).toBe(2);
    expect(await benchCommand(['--readme', '--check'], paths, quiet)).toBe(2);
  });

  it('--full reaches the benchmarks (a short default run, the full one by flag)', async () => {
    const paths = await setup({});
    await writeFile(
      join(paths.benchDir, 'sized.bench.ts'),
      `export default {
        name: 'sized', goal: '>= 0.8 x reference', minRatio: 0.8, needsStack: false,
        async run(context) {
          return {
            parley: { label: 'p', value: context.full ? 1000 : 100, unit: 'ops/s' },
            reference: { label: 'r', value: 1000, unit: 'ops/s' },
          };
        },
      };\n`,
    );
    expect(await benchCommand(['--check', 'sized'], paths, quiet)).toBe(1);
    expect(await benchCommand(['--check', '--full', 'sized'], paths, quiet)).toBe(0);
  });

  it('writes latest.json (date, load, Node version) from a full run only, and the README from it', async () => {
    const paths = await setup({ fast: 1.1, slow: 0.5 });
    await benchCommand([], paths, quiet);
    const latest = parseResults(await readFile(join(paths.resultsDir, 'latest.json'), 'utf8'), 'latest');
    expect(latest.reports.map((r) => [r.name, r.goalMet])).toEqual([
      ['fast', true],
      ['slow', false],
    ]);
    expect(latest.node).toBe(process.version);
    expect(Date.parse(latest.date)).toBeGreaterThan(Date.now() - 60_000);
    expect(latest.machine.loadAverage.start).toHaveLength(3);

    await new Promise((resolve) => setTimeout(resolve, 5)); // a distinct dated file name
    await benchCommand(['fast'], paths, quiet); // filtered: a dated file, latest.json untouched
    expect(parseResults(await readFile(join(paths.resultsDir, 'latest.json'), 'utf8'), 'latest')).toEqual(
      latest,
    );
    expect((await readdir(paths.resultsDir)).filter((f) => f !== 'latest.json')).toHaveLength(2);

    expect(await benchCommand(['--readme'], paths, quiet)).toBe(0);
    const readme = await readFile(paths.readme, 'utf8');
    expect(readme).toContain(`${TABLE_START}\n${markdownTable(latest)}\n${TABLE_END}`);
    expect(readme).toContain('| slow | 500 ops/s (p) | 1,000 ops/s (r) | 0.50 | >= 0.8 x reference | NO |');
  });

  it('--readme without a latest.json says so and exits non-zero, leaving the README alone', async () => {
    const paths = await setup({ fast: 1.1 });
    const before = await readFile(paths.readme, 'utf8');
    const lines: string[] = [];
    expect(await benchCommand(['--readme'], paths, { log: (text) => lines.push(text) })).toBe(1);
    expect(lines.join('')).toMatch(/latest\.json yet/);
    expect(await readFile(paths.readme, 'utf8')).toBe(before);
  });
});

describe("the repository's README", () => {
  it('has the benchmark table markers, so --readme can write it', async () => {
    const readme = await readFile(join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(replaceTable(readme, 'table')).toContain(`${TABLE_START}\ntable\n${TABLE_END}`);
  });
});

describe('paired measurements', () => {
  it('alternate which side of a pair runs first', async () => {
    const order: string[] = [];
    const side = (name: string) => async () => {
      order.push(name);
      return name;
    };
    for (let round = 0; round < 4; round++)
      expect(await runPair(round, side('a'), side('b'))).toEqual(['a', 'b']);
    expect(order).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
  });

  it('rotate the first of several sides round by round', () => {
    expect([0, 1, 2, 3].map((round) => sideOrder(round, 3))).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
  });

  it('interleave alternates its rounds after a warm-up of each side', async () => {
    const order: string[] = [];
    const side = (name: string, rate: number) => async () => {
      order.push(name);
      return rate;
    };
    const rates = await interleave({ roundMs: 1, rounds: 4 }, side('p', 10), side('r', 20));
    expect(rates).toEqual({ parley: 10, reference: 20 });
    expect(order).toEqual(['p', 'r', 'p', 'r', 'r', 'p', 'p', 'r', 'r', 'p']);
  });
});
