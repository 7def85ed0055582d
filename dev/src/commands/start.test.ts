import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../settings.ts';

// `npm start` as a process manager or a script runs it: a child process, stopped with a signal.
// npm forwards SIGINT and SIGTERM to its script's process; the script must be the CLI itself
// (package.json's `exec sh dev/bootstrap.sh`, and bootstrap's own `exec`), or the signal stops at
// a shell that defers it and the services run on. The stack is the test run's own, already up, so
// `npm start` reuses it and leaves it running.

const SERVICE_PORTS = [3007, 3008, 3009];

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes still running one of this checkout's services or its operator. */
function leftovers(): string[] {
  try {
    return execFileSync('pgrep', ['-af', `${repoRoot}/(services/[a-z-]+|operator)/src/main.ts`], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function startUntil(
  child: ChildProcess,
  seen: () => string,
  line: RegExp,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!line.test(seen())) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${seen()}`);
    if (Date.now() > deadline) throw new Error(`npm start never printed ${line}:\n${seen().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('npm start, stopped by a signal', { timeout: 420_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops every service on ${signal} sent to the npm process`, async () => {
      expect(leftovers()).toEqual([]);
      const child = spawn('npm', ['start'], {
        cwd: repoRoot,
        env: { ...process.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (c: Buffer) => {
        output += c.toString();
      });
      child.stderr?.on('data', (c: Buffer) => {
        output += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        // The first run also waits for the demo tenant's smoke check: a newcomer's first sign-in.
        const ready =
          signal === 'SIGINT' ? /demo tenant {2}(usable|NOT usable|not usable)/ : /Ctrl-C stops everything/;
        await startUntil(child, () => output, ready, 300_000);
        if (signal === 'SIGINT') {
          expect(output).toMatch(/auth serves demo/);
          expect(output).toMatch(/compliance serves demo/);
          expect(output).toMatch(/demo tenant {2}usable: sign-in works/);
        }
        expect((await Promise.all(SERVICE_PORTS.map(listening))).some(Boolean)).toBe(true);

        child.kill(signal);
        const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
        expect(code, output.slice(-3000)).toBe(0);
        expect(output).toMatch(/stopping \d+ service\(s\)/);
        expect(leftovers()).toEqual([]);
        expect(await Promise.all(SERVICE_PORTS.map(listening))).toEqual(SERVICE_PORTS.map(() => false));
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        for (const line of leftovers()) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      }
    });
  }
});
