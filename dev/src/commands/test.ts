// `npm test`: installs and starts the stack if needed, runs vitest, and stops the stack again
// only if this command started it (a stack someone else brought up stays up).
import { runChild } from '../child.ts';
import { repoRoot } from '../settings.ts';
import { ensureStackUp, stopStack } from '../stack/index.ts';

export async function testCommand(args: string[]): Promise<number> {
  const { env, startedHere } = await ensureStackUp();
  try {
    return await runChild(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
  } finally {
    if (startedHere) await stopStack();
  }
}
