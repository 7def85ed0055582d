// PostgreSQL 15 (Debian), FerretDB's storage. It refuses to run as root, so initdb and the server
// run as the `postgres` user, over a data dir it owns. fsync is off: this is throwaway test data.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ServerDefinition } from '../server.ts';

const run = promisify(execFile);

export function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export const postgres: ServerDefinition = {
  name: 'postgres',
  dependsOn: [],
  endpoint: (ctx) => `127.0.0.1:${ctx.settings.ports.postgres}`,
  prepare: async (ctx, dataDir) => {
    const user = postgresUser();
    const cluster = join(dataDir, 'cluster');
    const sockets = join(dataDir, 'sockets');
    for (const dir of [dataDir, sockets]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chownSync(dir, user.uid, user.gid);
    }
    if (!existsSync(join(cluster, 'PG_VERSION'))) {
      await run(
        join(ctx.installed.postgresBin, 'initdb'),
        ['-D', cluster, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
        { uid: user.uid, gid: user.gid, cwd: dataDir },
      );
    }
  },
  command: (ctx, dataDir) => ({
    file: join(ctx.installed.postgresBin, 'postgres'),
    args: [
      '-D',
      join(dataDir, 'cluster'),
      '-p',
      String(ctx.settings.ports.postgres),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${join(dataDir, 'sockets')}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
    ],
    cwd: dataDir,
    user: postgresUser(),
  }),
  probe: async (ctx) => {
    await run(
      'psql',
      ['-h', '127.0.0.1', '-p', String(ctx.settings.ports.postgres), '-U', 'postgres', '-tAc', 'select 1'],
      {
        timeout: 3000,
      },
    );
  },
  readyTimeoutMs: 30_000,
  // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client; SIGINT is "fast".
  stopSignal: 'SIGINT',
};
