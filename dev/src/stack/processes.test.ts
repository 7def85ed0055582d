import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupMembers, isAlive, launch, readPid, stopProcess } from './processes.ts';

// `stack down` must leave nothing behind, including children a server forks (PostgreSQL does).
describe('server processes', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'parley-processes-'));
  afterEach(() => rmSync(runDir, { recursive: true, force: true }));

  it('stops a detached process and the children it forked', async () => {
    // A shell that forks a child and ignores SIGTERM itself: the group must still go away.
    const { pid } = launch(runDir, 'stubborn', {
      file: 'sh',
      args: ['-c', 'trap "" TERM; sleep 300 & sleep 300 & wait'],
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(readPid(runDir, 'stubborn'))).toBe(true);
    expect(groupMembers(pid).length).toBeGreaterThanOrEqual(2);

    expect(await stopProcess(runDir, 'stubborn', 'SIGTERM', 500)).toBe(true);
    expect(groupMembers(pid)).toEqual([]);
    expect(readPid(runDir, 'stubborn')).toBeUndefined();
  });

  it('does not take a reused pid for the server', () => {
    const record = { pid: process.pid, command: 'x', startedAt: '', startTicks: '1' };
    expect(isAlive(record)).toBe(false);
  });
});
