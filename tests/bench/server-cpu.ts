/**
 * CPU seconds each local server spent during a stretch of a benchmark: "which server spends the
 * time" as a measurement rather than a guess. The dev stack records each server's pid in
 * <run dir>/pids/<name>.json; a server's time is its process and every descendant (PostgreSQL's
 * backends, the JVMs' threads are one process). Linux /proc only; elsewhere it reports nothing.
 * The machine's total busy time is read too, so what other processes (other people's tests on a
 * shared machine) took in the same stretch shows up as the rest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuSnapshot {
  servers: Map<string, number>;
  thisProcess: number;
  machineBusy: number;
  at: number;
}

function runDir(): string {
  return process.env.PARLEY_RUN_DIR ?? resolve(import.meta.dirname, '../../.parley/run');
}

function serverPids(): Map<string, number> {
  const dir = join(runDir(), 'pids');
  const pids = new Map<string, number>();
  try {
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const { pid } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { pid?: number };
      if (typeof pid === 'number') pids.set(file.slice(0, -'.json'.length), pid);
    }
  } catch {
    // no stack run dir: nothing to report
  }
  return pids;
}

/** CPU time of every live process (its own and its exited children's), and each one's parent. */
function processTable(): Map<number, { parent: number; seconds: number }> {
  const table = new Map<number, { parent: number; seconds: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      // utime + stime, and cutime + cstime: what its exited children used (PostgreSQL's backends
      // end when their connection closes; without these their time would vanish from the tree).
      const seconds =
        (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) /
        TICKS_PER_SECOND;
      table.set(Number(entry), { parent, seconds });
    } catch {
      // the process ended while we read
    }
  }
  return table;
}

function machineBusySeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, { parent }] of table) children.set(parent, [...(children.get(parent) ?? []), pid]);
  const treeSeconds = (root: number): number => {
    let total = 0;
    const stack = [root];
    while (stack.length > 0) {
      const pid = stack.pop() as number;
      total += table.get(pid)?.seconds ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return total;
  };
  const servers = new Map<string, number>();
  for (const [name, pid] of serverPids()) servers.set(name, treeSeconds(pid));
  const usage = process.cpuUsage();
  return {
    servers,
    thisProcess: (usage.user + usage.system) / 1e6,
    machineBusy: machineBusySeconds(),
    at: performance.now(),
  };
}

/**
 * CPU seconds per server between two snapshots, the benchmark's own process ("operator+bench"),
 * and everything else on the machine ("others"), with the stretch's wall time and core count
 * for scale. Keys are ready to go into a benchmark's details.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, cores: number): Record<string, string> {
  const out: Record<string, string> = {};
  let accounted = 0;
  const rows: [string, number][] = [];
  for (const [name, seconds] of after.servers) {
    const spent = seconds - (before.servers.get(name) ?? seconds);
    accounted += spent;
    rows.push([name, spent]);
  }
  const own = after.thisProcess - before.thisProcess;
  accounted += own;
  rows.push(['operator+bench', own]);
  const busy = after.machineBusy - before.machineBusy;
  rows.push(['others', Math.max(0, busy - accounted)]);
  rows.sort((a, b) => b[1] - a[1]);
  const wall = (after.at - before.at) / 1000;
  out.cpuWallS = wall.toFixed(1);
  out.cpuCapacityS = (wall * cores).toFixed(1);
  for (const [name, spent] of rows) out[`cpuS_${name}`] = spent.toFixed(1);
  return out;
}

/**
 * Resident memory (MiB) of every local server now, its process and every descendant (PostgreSQL's
 * backends), from /proc/<pid>/status: what the stack holds at a given size (the scale benchmark's
 * 1,000 tenants). Shared pages (PostgreSQL's shared buffers) count once per process that mapped them.
 */
export function serverRssMb(): Record<string, string> {
  const parents = new Map<number, number[]>();
  for (const [pid, { parent }] of processTable()) parents.set(parent, [...(parents.get(parent) ?? []), pid]);
  const rssKb = (pid: number): number => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  const out: Record<string, string> = {};
  for (const [name, root] of serverPids()) {
    let total = 0;
    const stack = [root];
    while (stack.length > 0) {
      const pid = stack.pop() as number;
      total += rssKb(pid);
      stack.push(...(parents.get(pid) ?? []));
    }
    out[`rssMb_${name}`] = (total / 1024).toFixed(0);
  }
  return out;
}
