import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../settings.ts';
import { discoverServices } from './start.ts';

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

/** Every process below `root` (pid and command line), from /proc: npm start's services and operator. */
function descendants(root: number): { pid: number; command: string }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The field after the command's closing parenthesis: state, then the parent's pid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; command: string }[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const pid of children.get(queue.shift() as number) ?? []) {
      queue.push(pid);
      const command = (() => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
        } catch {
          return '';
        }
      })();
      found.push({ pid, command });
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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

describe('the services npm start runs', () => {
  it('runs the socket service as two replicas, on 3002 and 3003', () => {
    const socket = discoverServices().filter((s) => s.main.endsWith('/services/socket/src/main.ts'));
    expect(socket.map(({ name, port, env }) => ({ name, port, env }))).toEqual([
      { name: 'socket', port: 3002, env: undefined },
      { name: 'socket-2', port: 3003, env: { PORT: '3003' } },
    ]);
  });
});

describe('npm start, stopped by a signal', { timeout: 420_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops every service on ${signal} sent to the npm process`, async () => {
      // Nothing else may hold the services' ports, or the test would watch the wrong processes.
      expect(await Promise.all(SERVICE_PORTS.map(listening))).toEqual(SERVICE_PORTS.map(() => false));
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
      let started: { pid: number; command: string }[] = [];
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
          // The web client's address and the first admin's invitation link into it.
          expect(output).toMatch(/web client {3}http:\/\/127\.0\.0\.1:3000\//);
          expect(output).toMatch(
            /http:\/\/127\.0\.0\.1:3000\/#\/invitation\?tenant=demo&token=\S+|accepted the invitation; sign in at http:\/\/127\.0\.0\.1:3000\//,
          );
        }
        // Every service listens before the signal, so the stop has real work to drain.
        const listenDeadline = Date.now() + 120_000;
        while (!(await Promise.all(SERVICE_PORTS.map(listening))).every(Boolean)) {
          if (Date.now() > listenDeadline)
            throw new Error(`services never listened:\n${output.slice(-4000)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
        started = descendants(child.pid as number).filter((p) =>
          /\/(services\/[a-z-]+|operator)\/src\/main\.ts/.test(p.command),
        );
        expect(started.length).toBeGreaterThanOrEqual(4); // auth, compliance, crypto, the operator

        child.kill(signal);
        const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
        expect(code, output.slice(-3000)).toBe(0);
        expect(output).toMatch(/stopping \d+ service\(s\)/);
        expect(started.filter((p) => alive(p.pid))).toEqual([]);
        expect(await Promise.all(SERVICE_PORTS.map(listening))).toEqual(SERVICE_PORTS.map(() => false));
      } finally {
        // A failed test must not leave services behind (SIGKILL to npm would orphan them).
        const left = child.exitCode === null ? descendants(child.pid as number) : started;
        if (child.exitCode === null) child.kill('SIGKILL');
        for (const p of left) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
      }
    });
  }
});
