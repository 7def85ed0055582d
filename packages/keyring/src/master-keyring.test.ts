import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadMasterKeys,
  loadOrCreateMasterKeys,
  MasterKeyring,
  resolveMasterKeyPath,
} from './master-keyring.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-mk-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const b64 = () => randomBytes(32).toString('base64');

describe('master keys', () => {
  it('loads a directory like a mounted Secret: <id>.key files, hidden entries skipped, greatest id primary', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'mk-2026-01.key'), `${b64()}\n`);
    await writeFile(join(dir, 'mk-2026-07.key'), b64());
    await writeFile(join(dir, '..data-ignored.key'), 'not base64 at all');
    await symlink(join(dir, 'mk-2026-01.key'), join(dir, '..data'));
    const keys = await loadMasterKeys(dir);
    expect(keys.ids.sort()).toEqual(['mk-2026-01', 'mk-2026-07']);
    expect(keys.primaryId).toBe('mk-2026-07');
  });

  it('honours a primary file and loads a single key file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.key'), b64());
    await writeFile(join(dir, 'b.key'), b64());
    await writeFile(join(dir, 'primary'), 'a\n');
    expect((await loadMasterKeys(dir)).primaryId).toBe('a');
    expect((await loadMasterKeys(join(dir, 'b.key'))).ids).toEqual(['b']);
  });

  it('refuses a key of the wrong length and an empty directory, naming the problem', async () => {
    const dir = await tempDir();
    await expect(loadMasterKeys(dir)).rejects.toThrow(/No master keys/);
    await writeFile(join(dir, 'short.key'), randomBytes(16).toString('base64'));
    await expect(loadMasterKeys(dir)).rejects.toThrow(/must hold 32 bytes/);
  });

  it('creates one local key when missing, and concurrent first starts agree on it', async () => {
    const dir = join(await tempDir(), 'master-keys');
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => loadOrCreateMasterKeys(dir)));
    expect(a?.ids).toEqual(['local-1']);
    expect(a?.get('local-1')).toEqual(b?.get('local-1'));
    expect(b?.get('local-1')).toEqual(c?.get('local-1'));
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual(['local-1.key']);
  });

  it('resolves a relative path from the workspace root, whatever directory a service runs in', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'r', workspaces: ['services/*'] }));
    const service = join(root, 'services', 'crypto');
    await mkdir(service, { recursive: true });
    await writeFile(join(service, 'package.json'), JSON.stringify({ name: 's' }));
    expect(resolveMasterKeyPath('.parley/master-keys', service)).toBe(join(root, '.parley/master-keys'));
    expect(resolveMasterKeyPath('/etc/parley/master-keys', service)).toBe('/etc/parley/master-keys');
  });

  it('never serialises key bytes', () => {
    const keys = MasterKeyring.fromKeys([{ id: 'k', key: randomBytes(32) }]);
    expect(JSON.stringify({ keys })).toBe('{"keys":{"primaryId":"k","ids":["k"]}}');
  });
});
