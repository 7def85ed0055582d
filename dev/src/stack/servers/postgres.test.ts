import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../settings.ts';
import { ensureStackUp, stopStack } from '../index.ts';
import { POSTGRES_OUTSIDE_ROOT, postgresHome } from './postgres.ts';

const run = promisify(execFile);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

// A checkout inside a directory only its owner may enter (root's home, `mktemp -d`): the stack's
// PostgreSQL, which runs as the `postgres` user, must still start there.
describe('PostgreSQL in a checkout under a private (0700) directory', () => {
  const privateDir = mkdtempSync(join(tmpdir(), 'parley-private-'));
  chmodSync(privateDir, 0o700);
  const runDir = join(privateDir, 'clone', '.parley', 'run');
  let settings: ReturnType<typeof loadSettings> | undefined;

  afterAll(async () => {
    if (settings) await stopStack(settings);
    const home = postgresHome(join(runDir, 'postgres'));
    rmSync(privateDir, { recursive: true, force: true });
    if (home.startsWith(POSTGRES_OUTSIDE_ROOT)) rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('starts, answers a query and keeps its files where the postgres user can reach them', async () => {
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    const defaults = loadSettings();
    settings = { ...defaults, runDir, ports: { ...defaults.ports, postgres: await freePort() } };
    await ensureStackUp({ settings, install: false, only: ['postgres'] });
    const { stdout } = await run('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(settings.ports.postgres),
      '-U',
      'postgres',
      '-tAc',
      'select 41 + 1',
    ]);
    expect(stdout.trim()).toBe('42');
    const home = postgresHome(join(runDir, 'postgres'));
    expect(home.startsWith(`${POSTGRES_OUTSIDE_ROOT}/`)).toBe(true);
  }, 120_000);
});
