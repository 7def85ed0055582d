// `npm run bench`: the benchmark harness (tests/bench/run.ts) against a running stack.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runChild } from '../child.ts';
import { repoRoot } from '../settings.ts';
import { ensureStackUp, stopStack } from '../stack/index.ts';

export async function benchCommand(args: string[]): Promise<number> {
  const harness = join(repoRoot, 'tests', 'bench', 'run.ts');
  if (!existsSync(harness)) {
    process.stderr.write(`no benchmark harness yet at ${harness}\n`);
    return 1;
  }
  const { env, startedHere } = await ensureStackUp();
  try {
    return await runChild(process.execPath, [harness, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
  } finally {
    if (startedHere) await stopStack();
  }
}
