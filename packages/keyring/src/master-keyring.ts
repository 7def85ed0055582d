/**
 * Master keys: the root of the hierarchy, never stored in a database. Each has an id so the
 * master key itself can rotate: tenant key versions record the id they are wrapped under, new
 * wraps use the primary, and old ids stay loaded until `rewrapUnderPrimaryMasterKey` has moved
 * every tenant key off them.
 *
 * On disk (a mounted Kubernetes Secret or a local directory): one file per key, named
 * `<id>.key`, holding 32 random bytes in base64; an optional `primary` file names the primary
 * id, otherwise the greatest id (sorted) is primary. A single `<id>.key` file also works.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { link, mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { KEY_BYTES } from '@parley/envelope';

export const MASTER_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface MasterKey {
  id: string;
  key: Buffer;
}

export class MasterKeyring {
  readonly primaryId: string;
  private readonly keys: Map<string, Buffer>;

  private constructor(keys: MasterKey[], primaryId?: string) {
    if (keys.length === 0) throw new Error('At least one master key is required');
    this.keys = new Map();
    for (const { id, key } of keys) {
      if (!MASTER_KEY_ID_PATTERN.test(id)) throw new Error(`Invalid master key id ${JSON.stringify(id)}`);
      if (key.length !== KEY_BYTES)
        throw new Error(`Master key ${id} must be ${KEY_BYTES} bytes, got ${key.length}`);
      if (this.keys.has(id)) throw new Error(`Duplicate master key id ${id}`);
      this.keys.set(id, Buffer.from(key));
    }
    const chosen = primaryId ?? [...this.keys.keys()].sort().at(-1);
    if (!chosen || !this.keys.has(chosen))
      throw new Error(`Primary master key ${primaryId} is not among the keys`);
    this.primaryId = chosen;
  }

  /** For tests and for callers that hold keys already; the last-sorted id is primary unless named. */
  static fromKeys(keys: MasterKey[], primaryId?: string): MasterKeyring {
    return new MasterKeyring(keys, primaryId);
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  /** The key for an id, or undefined when it is not loaded. */
  get(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  primary(): MasterKey {
    return { id: this.primaryId, key: this.keys.get(this.primaryId) as Buffer };
  }

  /** Never print key bytes, even by accident (a logged object, a failed assertion). */
  toJSON(): { primaryId: string; ids: string[] } {
    return { primaryId: this.primaryId, ids: this.ids };
  }
}

/**
 * Where a MASTER_KEY_PATH points. A relative path (the local default `.parley/master-keys`) is
 * taken from the npm workspace root — the nearest ancestor whose package.json declares
 * workspaces — not from the working directory: `npm start` runs each service in its own
 * directory, and every process must read the same master key or none can unwrap another's keys.
 */
export function resolveMasterKeyPath(path: string, from: string = process.cwd()): string {
  if (isAbsolute(path)) return path;
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces) {
          return resolve(dir, path);
        }
      } catch {
        // not JSON: keep looking upwards
      }
    }
    if (dirname(dir) === dir) return resolve(from, path);
  }
}

function decodeKeyFile(id: string, content: string): MasterKey {
  const key = Buffer.from(content.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `Master key file for ${id} must hold ${KEY_BYTES} bytes in base64 (got ${key.length} bytes)`,
    );
  }
  return { id, key };
}

/**
 * Loads master keys from a directory of `<id>.key` files (plus an optional `primary` file) or a
 * single `<id>.key` file. Hidden entries are skipped: Kubernetes mounts Secrets with `..data` links.
 */
export async function loadMasterKeys(path: string): Promise<MasterKeyring> {
  const fileOrDir = resolveMasterKeyPath(path);
  const info = await stat(fileOrDir);
  if (info.isFile()) {
    const id = basename(fileOrDir).replace(/\.key$/, '');
    return MasterKeyring.fromKeys([decodeKeyFile(id, await readFile(fileOrDir, 'utf8'))]);
  }
  const entries = (await readdir(fileOrDir)).filter((name) => !name.startsWith('.')).sort();
  const keys: MasterKey[] = [];
  for (const name of entries.filter((n) => n.endsWith('.key'))) {
    const id = name.slice(0, -'.key'.length);
    keys.push(decodeKeyFile(id, await readFile(join(fileOrDir, name), 'utf8')));
  }
  if (keys.length === 0) throw new Error(`No master keys (<id>.key files) in ${fileOrDir}`);
  const primaryId = entries.includes('primary')
    ? (await readFile(join(fileOrDir, 'primary'), 'utf8')).trim()
    : undefined;
  return MasterKeyring.fromKeys(keys, primaryId);
}

/**
 * For local runs only (MASTER_KEY_CREATE_IF_MISSING): creates `<dir>/local-1.key` when the
 * directory holds no key yet, then loads. Concurrent first starts of several services agree on
 * one key. Production mounts a Secret and never creates.
 */
export async function loadOrCreateMasterKeys(path: string): Promise<MasterKeyring> {
  const dir = resolveMasterKeyPath(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = (await readdir(dir)).filter((n) => n.endsWith('.key') && !n.startsWith('.'));
  if (existing.length === 0) {
    // Write aside, then link into place: link() fails if the name exists, so a concurrent first
    // start never reads a half-written key and every process ends up with the same one.
    const draft = join(dir, `.local-1.key.${process.pid}.${randomBytes(4).toString('hex')}`);
    await writeFile(draft, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600 });
    await link(draft, join(dir, 'local-1.key')).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await unlink(draft);
  }
  return loadMasterKeys(dir);
}

/** The master keys as the settings say (keyring's `masterKeySettings`): minted locally only when allowed. */
export function loadConfiguredMasterKeys(config: {
  MASTER_KEY_PATH: string;
  MASTER_KEY_CREATE_IF_MISSING: boolean;
}): Promise<MasterKeyring> {
  return config.MASTER_KEY_CREATE_IF_MISSING
    ? loadOrCreateMasterKeys(config.MASTER_KEY_PATH)
    : loadMasterKeys(config.MASTER_KEY_PATH);
}
