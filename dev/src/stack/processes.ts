// Server processes outlive the CLI that started them: each runs detached in its own process
// group, with its pid recorded in <run>/pids/<name>.json. Stopping signals the whole group, so
// children (PostgreSQL's backends, for instance) go too, and waits until none is left.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchCommand } from './server.ts';

export interface PidRecord {
  pid: number;
  command: string;
  startedAt: string;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused pid apart. */
  startTicks: string;
}

/** State and start time of a process, from /proc/<pid>/stat; undefined when it is gone. */
function procStat(pid: number): { state: string; pgrp: number; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, pgrp 5, starttime 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTicks: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

export function pidFile(runDir: string, name: string): string {
  return join(runDir, 'pids', `${name}.json`);
}

export function logFile(runDir: string, name: string): string {
  return join(runDir, 'logs', `${name}.log`);
}

export function readPid(runDir: string, name: string): PidRecord | undefined {
  const file = pidFile(runDir, name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** Alive and still the process we started (a pid can be reused after it ended). */
export function isAlive(record: PidRecord | undefined): record is PidRecord {
  if (!record) return false;
  const stat = procStat(record.pid);
  return (
    stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTicks === record.startTicks
  );
}

export interface Launched {
  pid: number;
  /** Resolves with the exit code if the process ends (while this CLI is still running). */
  exited: Promise<number>;
}

export function launch(runDir: string, name: string, cmd: LaunchCommand): Launched {
  mkdirSync(join(runDir, 'pids'), { recursive: true });
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const out = openSync(logFile(runDir, name), 'a');
  const child = spawn(cmd.file, cmd.args, {
    cwd: cmd.cwd,
    env: { ...process.env, ...cmd.env },
    detached: true, // own process group; survives the CLI
    stdio: ['ignore', out, out],
    uid: cmd.user?.uid,
    gid: cmd.user?.gid,
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd.file}`);
  const record: PidRecord = {
    pid: child.pid,
    command: [cmd.file, ...cmd.args].join(' '),
    startedAt: new Date().toISOString(),
    startTicks: procStat(child.pid)?.startTicks ?? '',
  };
  writeFileSync(pidFile(runDir, name), `${JSON.stringify(record)}\n`);
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', () => resolve(127));
  });
  child.unref();
  return { pid: child.pid, exited };
}

/**
 * Members of a process group that still run. Zombies do not count: once this CLI has exited,
 * a container's pid 1 may never reap them, and they hold no port or file.
 */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(entry));
  }
  return members;
}

function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

/** Stops a server's process group: the polite signal, then SIGKILL after the grace period. */
export async function stopProcess(
  runDir: string,
  name: string,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 20_000,
): Promise<boolean> {
  const record = readPid(runDir, name);
  if (!record) return false;
  const pid = record.pid;
  let stopped = false;
  if (isAlive(record) || groupAlive(pid)) {
    try {
      process.kill(-pid, signal);
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + graceMs;
    while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (groupAlive(pid)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      const killDeadline = Date.now() + 5_000;
      while (groupAlive(pid) && Date.now() < killDeadline) await sleep(50);
    }
    stopped = true;
  }
  rmSync(pidFile(runDir, name), { force: true });
  return stopped;
}
