/**
 * The keyring: the one place that wraps, unwraps, rotates and rewraps keys. The crypto service,
 * the operator's KeyRotationSchedule and Tenant reconcilers, auth and compliance all use it.
 * Hierarchy: master key (file) -> tenant key versions (Mongo, wrapped) -> data keys (wrapped by
 * a tenant key version, held by the caller). See ../README.md for the API and the formats.
 */
import { createHash, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import {
  CryptoKeyMinDecryptionVersionRaised,
  CryptoKeyRotated,
  createEvent,
  type EventEnvelope,
} from '@parley/contracts';
import {
  contextAad,
  decodeKeyedHeader,
  encodeKeyedHeader,
  KEY_BYTES,
  KIND_DATA_KEY,
  KIND_ENVELOPE,
  KIND_SEALED,
  kindOf,
  open,
  parseEnvelope,
  replaceWrappedDataKey,
  seal,
} from '@parley/envelope';
import type { Logger } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import { assertTenantId } from '@parley/tenancy';
import type { Collection, Db, Document } from 'mongodb';
import type { DestructionHoldCheck } from './destruction-holds.ts';
import {
  DecryptionFailedError,
  InvalidKeyRequestError,
  KeyDestroyedError,
  KeyPendingDestructionError,
  KeyringError,
  KeyStateConflictError,
  KeyVersionRetiredError,
  UnknownKeyVersionError,
} from './errors.ts';
import { type CachedKey, KeyCache } from './key-cache.ts';
import { KeyDestruction } from './key-destruction.ts';
import { type KeyEncryptionKeyStore, MongoKeyEncryptionKeys } from './key-encryption-keys.ts';
import {
  type DataKey,
  type EncryptOptions,
  type KeyMetadata,
  type RewrapResult,
  type RotateOptions,
  type RotateResult,
  toMetadata,
} from './key-metadata.ts';
import { assertKeyName, assertPurpose, DEFAULT_KEY_NAME } from './key-names.ts';
import { KeyRecords } from './key-records.ts';
import { assertNotDestroyed, foldKeyRecords, type KeySnapshot } from './key-snapshot.ts';
import {
  ensureKeyIndexes,
  isDuplicateKey,
  type KeyRecord,
  keyId,
  keysCollection,
  type MinimumRecord,
  minimumRecordId,
  type UsageRecord,
  usageRecordId,
  type VersionRecord,
  versionRecordId,
} from './key-store.ts';
import { migrateLegacyKeyDocuments } from './legacy-layout.ts';
import type { MasterKeyring } from './master-keyring.ts';
import { KEK_WRAPPING, newTenantKeyVersion, rewrapTenantKey, unwrapTenantKey } from './tenant-key-wrap.ts';
import { DEFAULT_USAGE_BLOCK, DEFAULT_USAGE_CEILING, UsageMeter } from './usage-meter.ts';

export { MAX_WAITING_DAYS, MIN_WAITING_DAYS } from './key-destruction.ts';
export type {
  DataKey,
  EncryptOptions,
  KeyMetadata,
  KeyVersionInfo,
  RewrapResult,
  RotateOptions,
  RotateResult,
} from './key-metadata.ts';

const MAX_CONTENTION_RETRIES = 8;

export interface KeyringOptions {
  /** The platform database (`parley_platform`); keys live in its `tenant_keys` collection. */
  db: Db;
  masterKeys: MasterKeyring;
  logger: Logger;
  /** How long a loaded key stays in memory; 0 disables the cache. Default 30 s. */
  cacheTtlMs?: number;
  /** At most this many keys in memory (least recently used go first). Default 10 000. */
  cacheMaxKeys?: number;
  /** Names the producer in the events this keyring writes (e.g. "crypto", "operator"). */
  source?: string;
  /** Uses per key version before a forced rotation (default 2^30) and the reservation block. */
  usageCeiling?: number;
  usageBlockSize?: number;
  /**
   * Legal holds that forbid destroying a key. With it, scheduleDestruction refuses a held key
   * (KeyUnderLegalHoldError) and destroyDueKeys leaves a held key pending. Without it (callers
   * that check holds themselves, tests) nothing is asked.
   */
  destructionHolds?: DestructionHoldCheck;
  /**
   * Where the keys' KEKs live (destroyed with the key, so backups of the key records are
   * useless after a shred). Default: database `<db>_keks` on the same client. Every process that
   * shares a keys database must share the KEK store too.
   */
  keyEncryptionKeys?: KeyEncryptionKeyStore;
}

const requestSlot = (requestKey: string) => `rotate:${createHash('sha256').update(requestKey).digest('hex')}`;
/** The slot of version 1, written by ensureTenantKey (and by the legacy migration). */
export const CREATE_SLOT = 'rotate:create';
const LIVE_RECORDS = { $in: ['version', 'minimum', 'lifecycle'] };

export class Keyring {
  readonly masterKeys: MasterKeyring;
  readonly keyEncryptionKeys: KeyEncryptionKeyStore;
  private readonly keys: Collection<KeyRecord>;
  private readonly records: KeyRecords;
  private readonly logger: Logger;
  private readonly cache: KeyCache;
  private readonly meter: UsageMeter;
  private readonly source: string;
  private readonly destruction: KeyDestruction;

  constructor(options: KeyringOptions) {
    this.keys = keysCollection(options.db);
    this.records = new KeyRecords(this.keys);
    this.masterKeys = options.masterKeys;
    this.keyEncryptionKeys = options.keyEncryptionKeys ?? MongoKeyEncryptionKeys.besides(options.db);
    this.logger = options.logger;
    this.cache = new KeyCache(options.cacheTtlMs ?? 30_000, options.cacheMaxKeys);
    this.meter = new UsageMeter({
      ceiling: options.usageCeiling ?? DEFAULT_USAGE_CEILING,
      blockSize: options.usageBlockSize ?? DEFAULT_USAGE_BLOCK,
    });
    this.source = options.source ?? 'keyring';
    this.destruction = new KeyDestruction({
      records: this.records,
      logger: this.logger,
      holds: options.destructionHolds,
      forget: (tenant, keyName) => this.cache.delete(keyId(tenant, keyName)),
      destroyKek: (tenant, keyName) => this.keyEncryptionKeys.destroy(tenant, keyName),
      event: (tenant, definition, payload) => this.event(tenant, definition, payload),
    });
  }

  /** The collection the outbox relay drains for key events: `sources: async () => [keyring.outboxSource]`. */
  get outboxSource(): Collection<Document> {
    return this.keys as unknown as Collection<Document>;
  }

  /**
   * Creates the indexes, converts keys stored in the first (one document per key) layout, and
   * re-wraps versions written under the master key alone with their key's KEK.
   */
  async ensureIndexes(): Promise<void> {
    await ensureKeyIndexes(this.keys);
    const migrated = await migrateLegacyKeyDocuments(this.keys);
    if (migrated > 0) this.logger.info({ migrated }, 'keyring: converted keys from the legacy layout');
    const wrapped = await this.wrapWithKeyEncryptionKeys();
    if (wrapped > 0) this.logger.info({ versions: wrapped }, 'keyring: re-wrapped key versions with KEKs');
  }

  /**
   * Moves every version still wrapped under the master key alone (written before KEKs) to the
   * master key and its key's KEK, by compare-and-set on the exact material read: racing migrations
   * wrap the same bytes under the same KEK, so whichever write stands is right. Destroyed keys are
   * skipped (the sweeper deletes their material). Returns how many versions it moved.
   */
  async wrapWithKeyEncryptionKeys(): Promise<number> {
    const legacy = (await this.keys
      .find({ record: 'version', wrapping: { $exists: false } } as never)
      .toArray()) as VersionRecord[];
    let moved = 0;
    for (const version of legacy) {
      const kek = await this.kekForRewrap(version);
      if (!kek) continue;
      const rewrapped = rewrapTenantKey(this.masterKeys, kek, version.tenant, version.keyName, version);
      const result = await this.keys.updateOne(
        { _id: version._id, wrappedKey: version.wrappedKey, wrapping: { $exists: false } } as never,
        {
          $set: {
            masterKeyId: rewrapped.masterKeyId,
            wrappedKey: rewrapped.wrappedKey,
            wrapping: KEK_WRAPPING,
          },
        },
      );
      moved += result.modifiedCount;
    }
    if (moved > 0) this.cache.clear();
    return moved;
  }

  // ---- key lifecycle -------------------------------------------------------------------------

  /** Idempotent: creates version 1 when the key does not exist; returns the key's metadata. */
  async ensureTenantKey(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const cached = this.cache.get(keyId(tenant, keyName));
    if (cached) return toMetadata(cached.snapshot);
    const existing = await this.records.readSnapshot(tenant, keyName);
    if (existing) return toMetadata(this.cache.put(keyId(tenant, keyName), existing).snapshot);
    const now = new Date();
    // The KEK first: racing creators agree on one, so whichever version 1 wins unwraps under it.
    const kek = await this.keyEncryptionKeys.getOrCreate(tenant, keyName);
    const record: VersionRecord = {
      _id: versionRecordId(tenant, keyName, 1),
      record: 'version',
      tenant,
      keyName,
      slot: CREATE_SLOT,
      ...newTenantKeyVersion(this.masterKeys, kek, tenant, keyName, 1, now),
    };
    try {
      await this.keys.insertOne(record);
      this.logger.info({ tenant, keyName }, 'keyring: key created');
    } catch (error) {
      if (!isDuplicateKey(error)) throw error; // another process created it first: theirs is the key
    }
    return toMetadata(
      this.cache.put(keyId(tenant, keyName), await this.records.loadFresh(tenant, keyName)).snapshot,
    );
  }

  async listVersions(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const snapshot = await this.records.loadFresh(tenant, keyName);
    return toMetadata(snapshot, await this.records.usageOf(tenant, keyName));
  }

  /** Every key of a tenant (its default key and its subjects' keys). */
  async listKeys(tenant: string): Promise<KeyMetadata[]> {
    assertTenantId(tenant);
    const records = await this.keys.find({ tenant, record: LIVE_RECORDS } as never).toArray();
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

  private async rotateOnce(
    tenant: string,
    keyName: string,
    requestKey: string,
    reason: 'requested' | 'usage-ceiling',
  ): Promise<RotateResult> {
    const slot = requestSlot(requestKey);
    for (let attempt = 0; attempt < MAX_CONTENTION_RETRIES; attempt++) {
      const snapshot = await this.records.loadFresh(tenant, keyName);
      const done = await this.keys.findOne({ tenant, keyName, slot });
      if (done?.record === 'version') {
        return { version: done.version, rotated: false, metadata: toMetadata(snapshot) };
      }
      this.assertUsable(snapshot);
      const kek = await this.kekForNewVersion(snapshot);
      const next = snapshot.primaryVersion + 1;
      const now = new Date();
      const record: VersionRecord = {
        _id: versionRecordId(tenant, keyName, next),
        record: 'version',
        tenant,
        keyName,
        slot,
        ...newTenantKeyVersion(this.masterKeys, kek, tenant, keyName, next, now),
      };
      const event = this.event(tenant, CryptoKeyRotated, {
        keyName,
        previousVersion: snapshot.primaryVersion,
        newVersion: next,
        reason,
      });
      if (await this.records.insert(withOutbox(record, [event]))) {
        this.cache.delete(keyId(tenant, keyName));
        this.logger.info({ tenant, keyName, version: next, reason }, 'keyring: key rotated');
        return {
          version: next,
          rotated: true,
          metadata: toMetadata(await this.records.loadFresh(tenant, keyName)),
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
    const snapshot = await this.records.loadFresh(tenant, keyName);
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
    const event = this.event(tenant, CryptoKeyMinDecryptionVersionRaised, {
      keyName,
      previousMinimum: snapshot.minDecryptionVersion,
      minDecryptionVersion: version,
    });
    // The minimum is the greatest minimum record, so racing raises settle on the highest; a
    // duplicate means this exact raise already happened.
    await this.records.insert(withOutbox(record, [event]));
    this.cache.delete(keyId(tenant, keyName));
    return toMetadata(await this.records.loadFresh(tenant, keyName));
  }

  // ---- crypto-shredding (key-destruction.ts) --------------------------------------------------

  /**
   * Schedules the key's destruction after a waiting period of 7..30 days (AWS KMS's window).
   * Meanwhile the key can be neither used nor read; idempotent while pending (keeps the first
   * date). Refused while a legal hold covers the key.
   */
  scheduleDestruction(
    tenant: string,
    keyName: string,
    options: { waitingDays: number; now?: Date },
  ): Promise<KeyMetadata> {
    return this.destruction.schedule(tenant, keyName, options);
  }

  cancelDestruction(tenant: string, keyName: string): Promise<KeyMetadata> {
    return this.destruction.cancel(tenant, keyName);
  }

  /**
   * Destroys every key whose waiting period has ended (its material is deleted); a key under a
   * legal hold stays pending. Run it periodically (the crypto service does); safe from several
   * processes at once.
   */
  destroyDueKeys(now: Date = new Date()): Promise<KeyMetadata[]> {
    return this.destruction.destroyDue(now);
  }

  // ---- data keys and payloads ----------------------------------------------------------------

  /** A fresh 256-bit data key and the same key wrapped by the tenant key's primary version. */
  async generateDataKey(
    tenant: string,
    purpose: string,
    options: { keyName?: string } = {},
  ): Promise<DataKey> {
    const keyName = options.keyName ?? DEFAULT_KEY_NAME;
    const { version, key } = await this.primaryForUse(tenant, keyName, purpose);
    const plaintext = randomBytes(KEY_BYTES);
    const header = encodeKeyedHeader(KIND_DATA_KEY, keyName, version);
    const wrapped = seal(key, plaintext, contextAad(header, tenant, purpose), header);
    return { plaintext, wrapped, keyName, keyVersion: version };
  }

  async decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer> {
    assertTenantId(tenant);
    assertPurpose(purpose);
    const header = decodeKeyedHeader(wrapped, KIND_DATA_KEY);
    const key = await this.versionForDecrypt(tenant, header.keyName, header.version);
    const plaintext = open(key, wrapped, header.bodyOffset, contextAad(header.header, tenant, purpose));
    if (plaintext.length !== KEY_BYTES) throw new DecryptionFailedError('not a data key');
    return plaintext;
  }

  /** Seals a small payload directly under the tenant key (ciphertext kind 1). */
  async encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: EncryptOptions = {},
  ): Promise<Buffer> {
    const keyName = options.keyName ?? DEFAULT_KEY_NAME;
    const { version, key } = await this.primaryForUse(tenant, keyName, purpose);
    const header = encodeKeyedHeader(KIND_SEALED, keyName, version);
    return seal(key, plaintext, contextAad(header, tenant, purpose, options.aad), header);
  }

  async decrypt(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<Buffer> {
    assertTenantId(tenant);
    assertPurpose(purpose);
    const header = decodeKeyedHeader(ciphertext, KIND_SEALED);
    const key = await this.versionForDecrypt(tenant, header.keyName, header.version);
    return open(key, ciphertext, header.bodyOffset, contextAad(header.header, tenant, purpose, options.aad));
  }

  /**
   * Moves a ciphertext (kind 1), a wrapped data key (kind 2) or an envelope (kind 3: only its
   * wrapped data key changes) to the key's primary version. No plaintext leaves the keyring.
   */
  async rewrap(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<RewrapResult> {
    assertTenantId(tenant);
    assertPurpose(purpose);
    const kind = kindOf(ciphertext);
    if (kind === KIND_ENVELOPE) {
      const { wrappedDataKey } = parseEnvelope(ciphertext);
      const inner = await this.rewrap(tenant, purpose, wrappedDataKey);
      if (!inner.rewrapped)
        return { ciphertext: Buffer.from(ciphertext), keyVersion: inner.keyVersion, rewrapped: false };
      return {
        ciphertext: replaceWrappedDataKey(ciphertext, inner.ciphertext),
        keyVersion: inner.keyVersion,
        rewrapped: true,
      };
    }
    if (kind !== KIND_SEALED && kind !== KIND_DATA_KEY)
      throw new DecryptionFailedError('unknown ciphertext kind');
    const header = decodeKeyedHeader(ciphertext, kind);
    const callerAad = kind === KIND_SEALED ? options.aad : undefined;
    // Authenticate first in every case: rewrap must not bless a forged blob by passing it through.
    const oldKey = await this.versionForDecrypt(tenant, header.keyName, header.version);
    const plaintext = open(
      oldKey,
      ciphertext,
      header.bodyOffset,
      contextAad(header.header, tenant, purpose, callerAad),
    );
    try {
      const entry = await this.loadForUse(tenant, header.keyName);
      if (header.version === entry.snapshot.primaryVersion) {
        return { ciphertext: Buffer.from(ciphertext), keyVersion: header.version, rewrapped: false };
      }
      const { version, key } = await this.primaryForUse(tenant, header.keyName, purpose);
      const newHeader = encodeKeyedHeader(kind, header.keyName, version);
      const sealed = seal(key, plaintext, contextAad(newHeader, tenant, purpose, callerAad), newHeader);
      return { ciphertext: sealed, keyVersion: version, rewrapped: true };
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * Master key rotation: re-wraps every tenant key version still under an older master key with
   * the primary one, and checks again until a full pass finds none (a concurrent writer could
   * undo a rewrap on a server without isolated updates). Once it returns, older master keys can
   * be unmounted. Returns how many versions it moved.
   */
  async rewrapUnderPrimaryMasterKey(): Promise<number> {
    const primaryId = this.masterKeys.primaryId;
    let moved = 0;
    // A destroyed key's leftover material (its KEK gone): nothing to keep readable, and the
    // sweeper deletes it; not counted as stale.
    const unreadable = new Set<string>();
    for (let pass = 0; pass < MAX_CONTENTION_RETRIES; pass++) {
      const stale = (
        (await this.keys
          .find({ record: 'version', masterKeyId: { $ne: primaryId } } as never)
          .toArray()) as VersionRecord[]
      ).filter((version) => !unreadable.has(version._id));
      if (stale.length === 0) return moved;
      for (const version of stale) {
        const kek = await this.kekForRewrap(version);
        if (!kek) {
          unreadable.add(version._id);
          continue;
        }
        const rewrapped = rewrapTenantKey(this.masterKeys, kek, version.tenant, version.keyName, version);
        const result = await this.keys.updateOne(
          { _id: version._id, masterKeyId: version.masterKeyId } as never,
          {
            $set: {
              masterKeyId: rewrapped.masterKeyId,
              wrappedKey: rewrapped.wrappedKey,
              wrapping: KEK_WRAPPING,
            },
          },
        );
        moved += result.modifiedCount;
      }
      this.cache.clear();
    }
    throw new KeyStateConflictError('Tenant keys kept changing during the master key rewrap; run it again');
  }

  // ---- cache ---------------------------------------------------------------------------------

  /** Drops cached keys (one key, or all of a tenant's); call on any `crypto.key.*` event. */
  invalidate(tenant: string, keyName?: string): void {
    if (keyName === undefined) this.cache.deleteTenant(tenant);
    else this.cache.delete(keyId(tenant, keyName));
  }

  clearCache(): void {
    this.cache.clear();
  }

  // ---- internals -----------------------------------------------------------------------------

  private event<P>(tenant: string, definition: Parameters<typeof createEvent>[0], payload: P): EventEnvelope {
    return createEvent(definition, { tenant, source: this.source, payload: payload as never });
  }

  private async loadCached(tenant: string, keyName: string): Promise<CachedKey> {
    const id = keyId(tenant, keyName);
    return this.cache.get(id) ?? this.cache.put(id, await this.records.loadFresh(tenant, keyName));
  }

  private assertUsable(snapshot: KeySnapshot): void {
    assertNotDestroyed(snapshot);
    if (snapshot.state === 'pending-destruction') {
      throw new KeyPendingDestructionError(
        snapshot.tenant,
        snapshot.keyName,
        snapshot.lifecycle?.destroyAt ?? new Date(0),
      );
    }
  }

  private async loadForUse(tenant: string, keyName: string): Promise<CachedKey> {
    const entry = await this.loadCached(tenant, keyName);
    this.assertUsable(entry.snapshot);
    return entry;
  }

  private async unwrapped(entry: CachedKey, version: number): Promise<KeyObject> {
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

  /**
   * The KEK a new version of a live key is wrapped with. A key all of whose versions predate KEKs
   * (not migrated yet) gets one now; a key with KEK-wrapped versions but no KEK was destroyed.
   */
  private async kekForNewVersion(snapshot: KeySnapshot): Promise<Buffer> {
    const { tenant, keyName } = snapshot;
    const predatesKeks = [...snapshot.versions.values()].every((v) => v.wrapping !== KEK_WRAPPING);
    if (predatesKeks) return this.keyEncryptionKeys.getOrCreate(tenant, keyName);
    return this.requireKek(tenant, keyName);
  }

  /**
   * The KEK to re-wrap a stored version with, or undefined when the key is destroyed. A version of
   * the first format gets its key's KEK made now; a `master+kek` version only ever has its own.
   */
  private async kekForRewrap(version: VersionRecord): Promise<Buffer | undefined> {
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
  private async requireKek(tenant: string, keyName: string): Promise<Buffer> {
    const kek = await this.keyEncryptionKeys.get(tenant, keyName);
    if (kek) return kek;
    this.logger.warn(
      { tenant, keyName },
      'keyring: key records present but their KEK is destroyed (restored from a copy taken before a shred?)',
    );
    throw new KeyDestroyedError(tenant, keyName);
  }

  /**
   * Reserves a block of uses for a version by inserting its usage record; returns the block index
   * (one past the ceiling when the version is used up). Blocks taken by other processes are
   * skipped; the first guess comes from this process's last block, else from a count.
   */
  private async reserveBlock(tenant: string, keyName: string, version: number): Promise<number> {
    const id = keyId(tenant, keyName);
    const count = () => this.keys.countDocuments({ tenant, keyName, record: 'usage', version } as never);
    let block = this.meter.nextBlockHint(id, version) ?? (await count());
    for (let attempt = 0; attempt < 256; attempt++, block++) {
      if (attempt > 0 && attempt % 32 === 0) block = Math.max(block, await count()); // many racers: catch up
      if (this.meter.exceedsCeiling(block)) return block;
      const record: UsageRecord = {
        _id: usageRecordId(tenant, keyName, version, block),
        record: 'usage',
        tenant,
        keyName,
        slot: `usage:v${version}:${block}`,
        version,
        block,
        uses: this.meter.blockSize,
        createdAt: new Date(),
      };
      if (await this.records.insert(record)) return block;
    }
    throw new KeyStateConflictError(
      `Key ${keyName} of tenant ${tenant} is too contended to reserve uses; retry`,
    );
  }

  /** The primary version for one more use, rotating first when its usage ceiling is reached. */
  private async primaryForUse(
    tenant: string,
    keyName: string,
    purpose: string,
  ): Promise<{ version: number; key: KeyObject }> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    assertPurpose(purpose);
    for (let attempt = 0; attempt < MAX_CONTENTION_RETRIES; attempt++) {
      const entry = await this.loadForUse(tenant, keyName);
      const version = entry.snapshot.primaryVersion;
      if (this.meter.trySpend(entry.id, version))
        return { version, key: await this.unwrapped(entry, version) };
      const block = await this.reserveBlock(tenant, keyName, version);
      if (!this.meter.exceedsCeiling(block)) {
        this.meter.granted(entry.id, version, block);
        return { version, key: await this.unwrapped(entry, version) };
      }
      this.logger.warn({ tenant, keyName, version }, 'keyring: usage ceiling reached; rotating');
      await this.rotateOnce(tenant, keyName, `usage-ceiling:v${version}`, 'usage-ceiling');
      this.cache.delete(entry.id);
    }
    throw new KeyStateConflictError(`Key ${keyName} of tenant ${tenant} is changing too fast to use; retry`);
  }

  /** A version's key for decryption: exists, not destroyed or pending, not below the minimum. */
  private async versionForDecrypt(tenant: string, keyName: string, version: number): Promise<KeyObject> {
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
}

export function createKeyring(options: KeyringOptions): Keyring {
  return new Keyring(options);
}

export { KeyringError };
