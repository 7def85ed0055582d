/**
 * runService as a real process sees it: a child running a main.ts of the usual shape (the
 * fixture) is sent SIGTERM with a request in flight. The request is answered, the listening
 * socket is closed meanwhile, and only then do the workers stop (in order), then the rest and the
 * clients, and the process exits 0. A drain that outlives SHUTDOWN_TIMEOUT_MS ends it with 1 and
 * stops nothing half-way; a worker that cannot start ends it non-zero before it ever listens.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './testing/index.ts';

const fixture = fileURLToPath(new URL('./testing/run-service-main.fixture.ts', import.meta.url));

interface Child {
  process: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Resolves when the child has said `line`. */
  said(line: string): Promise<void>;
  exited: Promise<number | null>;
}

const children: Child[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.process.kill('SIGKILL');
});

function start(...args: string[]): Child {
  const child = spawn(process.execPath, [fixture, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiting = new Map<string, () => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    waiting.get(line)?.();
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const said = (line: string) =>
    lines.includes(line)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiting.set(line, resolve);
          exited.then(() =>
            reject(new Error(`exited before saying "${line}"; said ${JSON.stringify(lines)}`)),
          );
        });
  const started = { process: child, lines, said, exited };
  children.push(started);
  return started;
}

/** Whether a new connection is refused (the listening socket closed). */
async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { headers: { connection: 'close' } });
    return false;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

describe('runService in a process sent SIGTERM', () => {
  it('answers the request in flight, refuses new connections, then stops workers, the rest and clients in order, and exits 0', async () => {
    const port = await freePort();
    const child = start(String(port), '30000');
    await child.said('listening');
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    await child.said('entered');
    child.process.kill('SIGTERM');
    await child.said('draining');
    // The listening socket closes right after the preClose hooks; wait for it, not for a time.
    let closed = false;
    for (let attempt = 0; attempt < 100 && !closed; attempt++) {
      closed = await refused(`http://127.0.0.1:${port}/health`);
      if (!closed) await sleep(50);
    }
    expect(closed).toBe(true);
    // Nothing is stopped while the request is still being served.
    expect(child.lines.filter((line) => line.startsWith('stopped'))).toEqual([]);
    child.process.stdin.write('release\n');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    expect(await child.exited).toBe(0);
    expect(child.lines).toEqual([
      'started consumer',
      'started relay',
      'ready',
      'listening',
      'entered',
      'draining',
      'stopped consumer',
      'stopped relay',
      'stopped cache',
      'stopped mongodb',
    ]);
  });

  it('exits 1 when the drain outlives the shutdown timeout, stopping nothing under a request still served', async () => {
    const port = await freePort();
    const child = start(String(port), '300');
    await child.said('listening');
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`).catch((error: unknown) => error);
    await child.said('entered');
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(1);
    expect(await inFlight).toBeInstanceOf(Error);
    expect(child.lines.filter((line) => line.startsWith('stopped'))).toEqual([]);
  });

  it('exits non-zero without listening when a worker cannot start, stopping the ones that did', async () => {
    const port = await freePort();
    const child = start(String(port), '30000', 'relay');
    const code = await child.exited;
    expect(code).not.toBe(0);
    expect(child.lines).not.toContain('listening');
    expect(child.lines.slice(0, 2)).toEqual(['started consumer', 'stopped consumer']);
    expect(await refused(`http://127.0.0.1:${port}/health`)).toBe(true);
  });
});
