// One `up` or `down` at a time per run dir: the team shares one stack, and two test runs
// starting it at once would launch every server twice.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { say } from './output.ts';

function holderAlive(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function withStackLock<T>(
  runDir: string,
  work: () => Promise<T>,
  timeoutMs = 15 * 60_000,
): Promise<T> {
  mkdirSync(runDir, { recursive: true });
  const file = join(runDir, 'stack.lock');
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!holderAlive(file)) {
        rmSync(file, { force: true }); // left by a process that died
        continue;
      }
      if (Date.now() > deadline) throw new Error(`stack lock ${file} still held after ${timeoutMs / 1000}s`);
      if (!told) say(`waiting for another stack command (lock ${file})`);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}
