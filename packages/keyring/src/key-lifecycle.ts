/**
 * A tenant key's life before any shred: created once (version 1), listed, rotated (idempotent per
 * request key, arbitrated by the unique version record), and its minimum decryption version
 * raised (never lowered). Each change is written with its event (outbox).
 */

import { createHash, randomUUID } from 'node:crypto';
import { CryptoKeyMinDecryptionVersionRaised, CryptoKeyRotated } from '@parley/contracts';
import { isDuplicateKeyError } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import { assertTenantId } from '@parley/tenancy';
import { InvalidKeyRequestError, KeyStateConflictError } from './errors.ts';
import { type KeyAccess, MAX_CONTENTION_RETRIES } from './key-access.ts';
import { type KeyMetadata, type RotateOptions, type RotateResult, toMetadata } from './key-metadata.ts';
import { assertKeyName, DEFAULT_KEY_NAME } from './key-names.ts';
import { assertNotDestroyed, foldKeyRecords } from './key-snapshot.ts';
import {
  type KeyRecord,
  keyId,
  type MinimumRecord,
  minimumRecordId,
  type VersionRecord,
  versionRecordId,
} from './key-store.ts';
import { newTenantKeyVersion } from './tenant-key-wrap.ts';

const requestSlot = (requestKey: string) => `rotate:${createHash('sha256').update(requestKey).digest('hex')}`;
/** The slot of version 1, written by ensureTenantKey (and by the legacy migration). */
export const CREATE_SLOT = 'rotate:create';
const LIVE_RECORDS = { $in: ['version', 'minimum', 'lifecycle'] };

export class KeyLifecycle {
  readonly #a: KeyAccess;

  constructor(access: KeyAccess) {
    this.#a = access;
  }

  /** Idempotent: creates version 1 when the key does not exist; returns the key's metadata. */
  async ensureTenantKey(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const { cache, records } = this.#a;
    const cached = cache.get(keyId(tenant, keyName));
    if (cached) return toMetadata(cached.snapshot);
    const existing = await records.readSnapshot(tenant, keyName);
    if (existing) return toMetadata(cache.put(keyId(tenant, keyName), existing).snapshot);
    const now = new Date();
    // The KEK first: racing creators agree on one, so whichever version 1 wins unwraps under it.
    const kek = await this.#a.keyEncryptionKeys.getOrCreate(tenant, keyName);
    const record: VersionRecord = {
      _id: versionRecordId(tenant, keyName, 1),
      record: 'version',
      tenant,
      keyName,
      slot: CREATE_SLOT,
      ...newTenantKeyVersion(this.#a.masterKeys, kek, tenant, keyName, 1, now),
    };
    try {
      await this.#a.keys.insertOne(record);
      this.#a.logger.info({ tenant, keyName }, 'keyring: key created');
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error; // another process created it first: theirs is the key
    }
    return toMetadata(cache.put(keyId(tenant, keyName), await records.loadFresh(tenant, keyName)).snapshot);
  }

  async listVersions(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const snapshot = await this.#a.records.loadFresh(tenant, keyName);
    return toMetadata(snapshot, await this.#a.records.usageOf(tenant, keyName));
  }

  /** Every key of a tenant (its default key and its subjects' keys). */
  async listKeys(tenant: string): Promise<KeyMetadata[]> {
    assertTenantId(tenant);
    const records = await this.#a.keys.find({ tenant, record: LIVE_RECORDS } as never).toArray();
    const byName = new Map<string, KeyRecord[]>();
    for (const record of records) byName.set(record.keyName, [...(byName.get(record.keyName) ?? []), record]);
    return [...byName.keys()].sort().flatMap((keyName) => {
      const snapshot = foldKeyRecords(tenant, keyName, byName.get(keyName) ?? []);
      return snapshot ? [toMetadata(snapshot)] : [];
    });
  }

  /**
   * Adds a new primary version. With a request key, idempotent: the first call rotates, every
   * later call with the same key returns the version it made (an operator retry, two replicas
   * firing for one schedule slot). Racing rotations are arbitrated by the unique version record.
   */
  async rotate(
    tenant: string,
    keyName: string = DEFAULT_KEY_NAME,
    options: RotateOptions = {},
  ): Promise<RotateResult> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    if (
      options.requestKey !== undefined &&
      (options.requestKey.length < 1 || options.requestKey.length > 256)
    ) {
      throw new InvalidKeyRequestError('A request key is 1..256 characters');
    }
    return this.rotateOnce(tenant, keyName, options.requestKey ?? randomUUID(), 'requested');
  }

  /** One rotation under a request key (`usage-ceiling:v<N>` when the payload side runs out of uses). */
  async rotateOnce(
    tenant: string,
    keyName: string,
    requestKey: string,
    reason: 'requested' | 'usage-ceiling',
  ): Promise<RotateResult> {
    const { keys, records, cache, logger } = this.#a;
    const slot = requestSlot(requestKey);
    for (let attempt = 0; attempt < MAX_CONTENTION_RETRIES; attempt++) {
      const snapshot = await records.loadFresh(tenant, keyName);
      const done = await keys.findOne({ tenant, keyName, slot });
      if (done?.record === 'version') {
        return { version: done.version, rotated: false, metadata: toMetadata(snapshot) };
      }
      this.#a.assertUsable(snapshot);
      const kek = await this.#a.kekForNewVersion(snapshot);
      const next = snapshot.primaryVersion + 1;
      const now = new Date();
      const record: VersionRecord = {
        _id: versionRecordId(tenant, keyName, next),
        record: 'version',
        tenant,
        keyName,
        slot,
        ...newTenantKeyVersion(this.#a.masterKeys, kek, tenant, keyName, next, now),
      };
      const event = this.#a.event(tenant, CryptoKeyRotated, {
        keyName,
        previousVersion: snapshot.primaryVersion,
        newVersion: next,
        reason,
      });
      if (await records.insert(withOutbox(record, [event]))) {
        cache.delete(keyId(tenant, keyName));
        logger.info({ tenant, keyName, version: next, reason }, 'keyring: key rotated');
        return {
          version: next,
          rotated: true,
          metadata: toMetadata(await records.loadFresh(tenant, keyName)),
        };
      }
      // Another writer took this version (or this request key) first: read again and decide again.
    }
    throw new KeyStateConflictError(
      `Key ${keyName} of tenant ${tenant} is changing too fast to rotate; retry`,
    );
  }

  /** Raises the minimum version that may decrypt (Vault's min_decryption_version). Never lowers it. */
  async setMinDecryptionVersion(tenant: string, keyName: string, version: number): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    if (!Number.isInteger(version) || version < 1)
      throw new InvalidKeyRequestError('A version is an integer >= 1');
    const { records, cache } = this.#a;
    const snapshot = await records.loadFresh(tenant, keyName);
    assertNotDestroyed(snapshot);
    if (version === snapshot.minDecryptionVersion) return toMetadata(snapshot);
    if (version < snapshot.minDecryptionVersion) {
      throw new InvalidKeyRequestError(
        `The minimum decryption version of ${keyName} is ${snapshot.minDecryptionVersion} and is never lowered`,
      );
    }
    if (version > snapshot.primaryVersion) {
      throw new InvalidKeyRequestError(
        `The minimum decryption version cannot exceed the primary version ${snapshot.primaryVersion}`,
      );
    }
    const record: MinimumRecord = {
      _id: minimumRecordId(tenant, keyName, version),
      record: 'minimum',
      tenant,
      keyName,
      slot: `min:v${version}`,
      minDecryptionVersion: version,
      createdAt: new Date(),
    };
    const event = this.#a.event(tenant, CryptoKeyMinDecryptionVersionRaised, {
      keyName,
      previousMinimum: snapshot.minDecryptionVersion,
      minDecryptionVersion: version,
    });
    // The minimum is the greatest minimum record, so racing raises settle on the highest; a
    // duplicate means this exact raise already happened.
    await records.insert(withOutbox(record, [event]));
    cache.delete(keyId(tenant, keyName));
    return toMetadata(await records.loadFresh(tenant, keyName));
  }
}
