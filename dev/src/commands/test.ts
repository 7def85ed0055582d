// `npm test`: the whole gate. With no arguments it first type-checks every workspace (tsc -b)
// and lints (biome ci), so CI and a developer run the same checks; then it installs and starts
// the stack if needed, runs vitest, and stops the stack again only if this command started it
// (a stack someone else brought up stays up). With arguments (`npm test -- packages/kit`) it
// runs just those tests.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runChild } from '../child.ts';
import { repoRoot } from '../settings.ts';
import { ensureStackUp, stopStack } from '../stack/index.ts';
import { say } from '../stack/output.ts';

async function staticChecks(): Promise<number> {
  say('static checks: tsc -b (types), biome ci (lint and format)');
  const options = { cwd: repoRoot, env: process.env };
  const types = await runChild(process.execPath, ['node_modules/typescript/bin/tsc', '-b'], options);
  if (types !== 0) return types;
  return runChild(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'ci', '.'], options);
}

const RESULTS_FILE = join(repoRoot, '.parley', 'vitest-results.json');

/** The plain closing line CI reads in any language: `tests: N passed, N failed`. */
async function printSummary(): Promise<void> {
  try {
    const results = JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
    };
    say(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`,
    );
  } catch {
    say('tests: no results were written (vitest did not finish)');
  }
}

export async function testCommand(args: string[]): Promise<number> {
  if (args.length === 0) {
    const checks = await staticChecks();
    if (checks !== 0) return checks;
  }
  const { env, startedHere } = await ensureStackUp();
  try {
    await rm(RESULTS_FILE, { force: true });
    const reporters = ['--reporter=default', '--reporter=json', `--outputFile.json=${RESULTS_FILE}`];
    const code = await runChild(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', ...reporters, ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env },
      },
    );
    await printSummary();
    return code;
  } finally {
    if (startedHere) await stopStack();
  }
}
