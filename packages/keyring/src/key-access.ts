/**
 * Reaching a tenant key's material, for every job of the keyring: its records (through the
 * cache), whether it may be used, its versions unwrapped (master key and KEK), and the KEK a new
 * or rewrapped version is wrapped with. Owned by the Keyring facade, shared by its parts.
 */
import type { KeyObject } from 'node:crypto';
import { createEvent, type EventEnvelope } from '@parley/contracts';
import type { Logger } from '@parley/kit';
import type { Collection } from 'mongodb';
import {
  DecryptionFailedError,
  KeyDestroyedError,
  KeyPendingDestructionError,
  KeyVersionRetiredError,
  UnknownKeyVersionError,
} from './errors.ts';
import type { CachedKey, KeyCache } from './key-cache.ts';
import type { KeyEncryptionKeyStore } from './key-encryption-keys.ts';
import { assertKeyName } from './key-names.ts';
import type { KeyRecords } from './key-records.ts';
import { assertNotDestroyed, type KeySnapshot } from './key-snapshot.ts';
import { type KeyRecord, keyId, type VersionRecord } from './key-store.ts';
import type { MasterKeyring } from './master-keyring.ts';
import { KEK_WRAPPING, unwrapTenantKey } from './tenant-key-wrap.ts';

/** Attempts when other writers keep changing a key under us. */
export const MAX_CONTENTION_RETRIES = 8;

export interface KeyAccessParts {
  keys: Collection<KeyRecord>;
  records: KeyRecords;
  masterKeys: MasterKeyring;
  keyEncryptionKeys: KeyEncryptionKeyStore;
  cache: KeyCache;
  logger: Logger;
  /** Names the producer in the events the keyring writes. */
  source: string;
}

export class KeyAccess {
  readonly keys: Collection<KeyRecord>;
  readonly records: KeyRecords;
  readonly masterKeys: MasterKeyring;
  readonly keyEncryptionKeys: KeyEncryptionKeyStore;
  readonly cache: KeyCache;
  readonly logger: Logger;
  readonly #source: string;

  constructor(parts: KeyAccessParts) {
    this.keys = parts.keys;
    this.records = parts.records;
    this.masterKeys = parts.masterKeys;
    this.keyEncryptionKeys = parts.keyEncryptionKeys;
    this.cache = parts.cache;
    this.logger = parts.logger;
    this.#source = parts.source;
  }

  event<P>(tenant: string, definition: Parameters<typeof createEvent>[0], payload: P): EventEnvelope {
    return createEvent(definition, { tenant, source: this.#source, payload: payload as never });
  }

  async loadCached(tenant: string, keyName: string): Promise<CachedKey> {
    const id = keyId(tenant, keyName);
    return this.cache.get(id) ?? this.cache.put(id, await this.records.loadFresh(tenant, keyName));
  }

  assertUsable(snapshot: KeySnapshot): void {
    assertNotDestroyed(snapshot);
    if (snapshot.state === 'pending-destruction') {
      throw new KeyPendingDestructionError(
        snapshot.tenant,
        snapshot.keyName,
        snapshot.lifecycle?.destroyAt ?? new Date(0),
      );
    }
  }

  async loadForUse(tenant: string, keyName: string): Promise<CachedKey> {
    const entry = await this.loadCached(tenant, keyName);
    this.assertUsable(entry.snapshot);
    return entry;
  }

  async unwrapped(entry: CachedKey, version: number): Promise<KeyObject> {
    let key = entry.unwrapped.get(version);
    if (!key) {
      const { tenant, keyName } = entry.snapshot;
      const stored = entry.snapshot.versions.get(version);
      if (!stored) throw new UnknownKeyVersionError(tenant, keyName, version);
      const kek = stored.wrapping === KEK_WRAPPING ? await this.requireKek(tenant, keyName) : undefined;
      key = unwrapTenantKey(this.masterKeys, kek, tenant, keyName, stored);
      entry.unwrapped.set(version, key);
    }
    return key;
  }

  /** A version's key for decryption: exists, not destroyed or pending, not below the minimum. */
  async versionForDecrypt(tenant: string, keyName: string, version: number): Promise<KeyObject> {
    try {
      assertKeyName(keyName);
    } catch {
      throw new DecryptionFailedError('the ciphertext names no valid key');
    }
    let entry = await this.loadForUse(tenant, keyName);
    if (version > entry.snapshot.primaryVersion) {
      // Maybe rotated elsewhere after we cached it: look once more before calling it unknown.
      this.cache.delete(entry.id);
      entry = await this.loadForUse(tenant, keyName);
    }
    if (version < 1 || version > entry.snapshot.primaryVersion) {
      throw new UnknownKeyVersionError(tenant, keyName, version);
    }
    if (version < entry.snapshot.minDecryptionVersion) {
      throw new KeyVersionRetiredError(tenant, keyName, version, entry.snapshot.minDecryptionVersion);
    }
    return this.unwrapped(entry, version);
  }

  /**
   * The KEK a new version of a live key is wrapped with. A key all of whose versions predate KEKs
   * (not migrated yet) gets one now; a key with KEK-wrapped versions but no KEK was destroyed.
   */
  async kekForNewVersion(snapshot: KeySnapshot): Promise<Buffer> {
    const { tenant, keyName } = snapshot;
    const predatesKeks = [...snapshot.versions.values()].every((v) => v.wrapping !== KEK_WRAPPING);
    if (predatesKeks) return this.keyEncryptionKeys.getOrCreate(tenant, keyName);
    return this.requireKek(tenant, keyName);
  }

  /**
   * The KEK to re-wrap a stored version with, or undefined when the key is destroyed. A version of
   * the first format gets its key's KEK made now; a `master+kek` version only ever has its own.
   */
  async kekForRewrap(version: VersionRecord): Promise<Buffer | undefined> {
    const { tenant, keyName } = version;
    if (version.wrapping === KEK_WRAPPING) return this.keyEncryptionKeys.get(tenant, keyName);
    const snapshot = await this.records.readSnapshot(tenant, keyName);
    if (!snapshot || snapshot.state === 'destroyed') return undefined;
    return this.keyEncryptionKeys.getOrCreate(tenant, keyName);
  }

  /**
   * The key's KEK for a key whose records say it is alive. None means the key was destroyed and
   * these records came back (a restored backup, a copy): refused as destroyed, and never replaced
   * by a new KEK, which could not unwrap them anyway.
   */
  async requireKek(tenant: string, keyName: string): Promise<Buffer> {
    const kek = await this.keyEncryptionKeys.get(tenant, keyName);
    if (kek) return kek;
    this.logger.warn(
      { tenant, keyName },
      'keyring: key records present but their KEK is destroyed (restored from a copy taken before a shred?)',
    );
    throw new KeyDestroyedError(tenant, keyName);
  }
}
