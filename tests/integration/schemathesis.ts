/**
 * Schemathesis (installed by the stack into a venv of its own: dev/install/schemathesis.sh) run
 * against a service's OpenAPI document, bounded so it fits in a CI run. Its working folder is a
 * scratch one (it writes no .hypothesis folder into the checkout) and its example database is off,
 * so every run generates from the seed alone and a failure is reproduced by the same command.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackSetting } from '../setup/stack-env.ts';

export interface FuzzOptions {
  /** The document's URL, e.g. http://127.0.0.1:1234/documentation/json. */
  document: string;
  /** Headers sent on every request (the signed-in user's bearer token). */
  headers: Record<string, string>;
  /** Values for named parameters (a real tenant, a real conversation): reach past the 404s. */
  parameters: Record<string, string>;
  checks: string[];
  /** Test cases per operation and phase. */
  maxExamples: number;
  seed: number;
  /** Operations left out, each by a regex on its path, with the reason (required, and printed). */
  excluded?: { pathRegex: string; why: string }[];
  /** Schemathesis's phases to run (examples, coverage, fuzzing, stateful). */
  phases: string[];
  /** Only the operations whose path matches. */
  only?: string;
  /**
   * Operations that refuse some schema-valid requests for a reason the schema cannot state (a
   * secret token the fuzzer cannot know, a state of the store): the statuses, besides the check's
   * defaults, that positive_data_acceptance accepts from each, with the reason (required).
   */
  refusals?: { operation: string; statuses: number[]; why: string }[];
}

/** What positive_data_acceptance accepts from a schema-valid request by default. */
const ACCEPTED_STATUSES = ['2xx', '3xx', 401, 403, 404, 409, 429, '5xx'];

export interface FuzzResult {
  code: number;
  /** Schemathesis's own report (failures with a curl line to reproduce each). */
  output: string;
  /** The JUnit report: one test case per operation, failures and errors in it. */
  junit: string;
}

const toml = (value: string) => JSON.stringify(value);

export async function runSchemathesis(options: FuzzOptions): Promise<FuzzResult> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-schemathesis-'));
  try {
    // Parameter values go through the config file: on the command line they would need a form
    // per location, and the file also keeps the token out of the process list.
    const config = [
      `headers = { ${Object.entries(options.headers)
        .map(([name, value]) => `${toml(name)} = ${toml(value)}`)
        .join(', ')} }`,
      // The coverage phase also sends every path each method it does not serve: one 405 check
      // per path, and most of the phase's time. Kit answers them in one place (method-not-allowed.ts,
      // tested there), so here it sends none.
      '[phases.coverage]',
      'unexpected-methods = []',
      // Every service refuses U+0000 and unpaired surrogates in any string before validation
      // (kit's text-input.ts: the store cannot keep them), which the documents do not spell out
      // on each string: generated strings are well-formed UTF-8 without U+0000.
      '[generation]',
      'allow-x00 = false',
      'codec = "utf-8"',
      '[parameters]',
      ...Object.entries(options.parameters).map(([name, value]) => `${toml(name)} = ${toml(value)}`),
      ...(options.refusals ?? []).flatMap((refusal) => [
        '[[operations]]',
        `include-name = ${toml(refusal.operation)}`,
        `checks.positive_data_acceptance.expected-statuses = ${JSON.stringify([...ACCEPTED_STATUSES, ...refusal.statuses])}`,
      ]),
    ].join('\n');
    await writeFile(join(dir, 'schemathesis.toml'), `${config}\n`);
    const junitPath = join(dir, 'junit.xml');
    const args = [
      '--config-file',
      join(dir, 'schemathesis.toml'),
      'run',
      options.document,
      '--checks',
      options.checks.join(','),
      '--phases',
      options.phases.join(','),
      '--max-examples',
      String(options.maxExamples),
      '--seed',
      String(options.seed),
      '--generation-database',
      'none',
      '--workers',
      '2',
      '--request-timeout',
      '20',
      '--no-color',
      '--report',
      'junit',
      '--report-junit-path',
      junitPath,
      ...(options.excluded ?? []).flatMap((e) => ['--exclude-path-regex', e.pathRegex]),
      ...(options.only ? ['--include-path-regex', options.only] : []),
    ];
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        stackSetting('PARLEY_SCHEMATHESIS'),
        args,
        { cwd: dir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
        (error, stdout, stderr) => {
          const exit = error ? ((error as { code?: unknown }).code ?? 1) : 0;
          resolve({ code: typeof exit === 'number' ? exit : 1, output: `${stdout}${stderr}` });
        },
      );
    });
    const junit = await readFile(junitPath, 'utf8').catch(() => '');
    return { code, output, junit };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
