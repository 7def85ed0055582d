// `npm run stack -- install | up | down | status | env | logs [server]`
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadSettings } from '../settings.ts';
import { installedPaths } from '../stack/catalog.ts';
import { pathWithTools } from '../stack/env.ts';
import { ensureStackUp, servers, stackEnv, stackStatus, stopStack } from '../stack/index.ts';
import { installStack } from '../stack/install.ts';
import { logFile } from '../stack/processes.ts';

const usage = 'usage: npm run stack -- install | up [server...] | down | status | env | logs [server]';

export async function stackCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const settings = loadSettings();
  switch (sub) {
    case 'install':
      await installStack(settings);
      return 0;
    case 'up':
      // `stack up kafka` starts one server (and what it needs), skipping the install check.
      await ensureStackUp({ settings, only: rest, install: rest.length === 0 });
      return 0;
    case 'down':
      await stopStack(settings);
      return 0;
    case 'status':
      printStatus(await stackStatus(settings));
      return 0;
    case 'env': {
      const quote = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
      for (const [name, value] of Object.entries(stackEnv(settings)))
        process.stdout.write(`export ${name}=${quote(value)}\n`);
      process.stdout.write(
        `export PATH=${quote(pathWithTools(installedPaths(settings), process.env.PATH))}\n`,
      );
      return 0;
    }
    case 'logs':
      return tailLogs(settings.runDir, rest[0]);
    default:
      process.stderr.write(`${usage}\n`);
      return sub === undefined || sub === 'help' || sub === '--help' ? 0 : 2;
  }
}

function printStatus(rows: Awaited<ReturnType<typeof stackStatus>>): void {
  const table = [
    ['SERVER', 'STATE', 'PID', 'LISTENS', 'LOG'],
    ...rows.map((r) => [r.name, r.state, r.pid ? String(r.pid) : '-', r.endpoint, r.log]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  for (const row of table)
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
}

function tailLogs(runDir: string, server: string | undefined): Promise<number> {
  const names = server ? [server] : servers.map((s) => s.name);
  const unknown = names.filter((n) => !servers.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown server ${unknown.join(', ')}; one of ${servers.map((s) => s.name).join(', ')}\n`,
    );
    return Promise.resolve(2);
  }
  const files = names.map((n) => logFile(runDir, n)).filter((f) => existsSync(f));
  if (files.length === 0) {
    process.stderr.write(`no logs yet under ${runDir}/logs\n`);
    return Promise.resolve(1);
  }
  // tail -F follows across restarts; it runs until Ctrl-C.
  return new Promise((resolve) => {
    const tail = spawn('tail', ['-n', '40', '-F', ...files], { stdio: 'inherit' });
    tail.on('exit', (code) => resolve(code ?? 0));
  });
}
