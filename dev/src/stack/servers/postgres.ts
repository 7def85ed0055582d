// PostgreSQL 15 (Debian), FerretDB's storage. It refuses to run as root, so initdb and the server
// run as the `postgres` user, over a data dir it owns. fsync is off: this is throwaway test data.
//
// The `postgres` user must be able to reach that data dir. A checkout inside a directory only its
// owner may enter (root's home, a `mktemp -d` folder, mode 0700) cannot hold it, so PostgreSQL's
// files then live under POSTGRES_OUTSIDE_ROOT instead, in a folder named after the stack's own
// data dir (one per stack), and the stack's data dir holds a symlink `cluster-home` to it.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ServerDefinition } from '../server.ts';

/** Where PostgreSQL's files go when the postgres user cannot reach the stack's own data dir. */
export const POSTGRES_OUTSIDE_ROOT = '/var/lib/parley/postgres';

const run = promisify(execFile);

export function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** True when `user` may pass through every directory on the way into `dir` (its parent chain). */
export function reachableBy(user: { uid: number; gid: number }, dir: string): boolean {
  let parent = dirname(dir);
  while (!existsSync(parent)) parent = dirname(parent);
  try {
    execFileSync('test', ['-x', parent], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The folder PostgreSQL's cluster and sockets live in for the stack data dir `dataDir`: the data
 * dir itself when the postgres user can reach it, else a folder of its own outside the checkout.
 */
export function postgresHome(dataDir: string, user = postgresUser()): string {
  const link = join(dataDir, 'cluster-home');
  if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) return readlinkSync(link);
  if (reachableBy(user, dataDir)) return dataDir;
  const outside = join(
    POSTGRES_OUTSIDE_ROOT,
    createHash('sha256').update(dataDir).digest('hex').slice(0, 16),
  );
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(POSTGRES_OUTSIDE_ROOT, { recursive: true, mode: 0o755 });
  mkdirSync(outside, { recursive: true, mode: 0o700 });
  symlinkSync(outside, link);
  return outside;
}

export const postgres: ServerDefinition = {
  name: 'postgres',
  dependsOn: [],
  endpoint: (ctx) => `127.0.0.1:${ctx.settings.ports.postgres}`,
  prepare: async (ctx, dataDir) => {
    const user = postgresUser();
    const home = postgresHome(dataDir, user);
    const cluster = join(home, 'cluster');
    const sockets = join(home, 'sockets');
    for (const dir of [home, sockets]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chownSync(dir, user.uid, user.gid);
    }
    if (!existsSync(join(cluster, 'PG_VERSION'))) {
      await run(
        join(ctx.installed.postgresBin, 'initdb'),
        ['-D', cluster, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
        { uid: user.uid, gid: user.gid, cwd: home },
      );
    }
  },
  command: (ctx, dataDir) => ({
    file: join(ctx.installed.postgresBin, 'postgres'),
    args: [
      '-D',
      join(postgresHome(dataDir), 'cluster'),
      '-p',
      String(ctx.settings.ports.postgres),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${join(postgresHome(dataDir), 'sockets')}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
    ],
    cwd: postgresHome(dataDir),
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
