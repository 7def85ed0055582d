/**
 * The keyring: the one place that wraps, unwraps, rotates and rewraps keys. The crypto service,
 * the operator's KeyRotationSchedule and Tenant reconcilers, auth and compliance all use it.
 * Hierarchy: master key (file) -> tenant key versions (Mongo, wrapped) -> data keys (wrapped by
 * a tenant key version, held by the caller). See ../README.md for the API and the formats.
 */
import { createHash, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import {
  CryptoKeyDestroyed,
  CryptoKeyDestructionCancelled,
  CryptoKeyDestructionScheduled,
  CryptoKeyMinDecryptionVersionRaised,
  CryptoKeyRotated,
  createEvent,
  type EventEnvelope,
} from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { outboxPush, withoutOutbox } from '@parley/outbox';
import { assertTenantId } from '@parley/tenancy';
import type { Collection, Db, Document, Filter } from 'mongodb';
import { KEY_BYTES, open, seal } from './aes-gcm.ts';
import {
  contextAad,
  decodeKeyedHeader,
  encodeKeyedHeader,
  KIND_DATA_KEY,
  KIND_ENVELOPE,
  KIND_SEALED,
  kindOf,
} from './ciphertext-format.ts';
import { parseEnvelope, replaceWrappedDataKey } from './envelope.ts';
import {
  DecryptionFailedError,
  InvalidKeyRequestError,
  KeyDestroyedError,
  KeyPendingDestructionError,
  KeyringError,
  KeyStateConflictError,
  KeyVersionRetiredError,
  UnknownKeyError,
  UnknownKeyVersionError,
} from './errors.ts';
import { type CachedKey, KeyCache } from './key-cache.ts';
import { assertKeyName, assertPurpose, DEFAULT_KEY_NAME } from './key-names.ts';
import {
  ensureKeyIndexes,
  type KeyDocument,
  type KeyState,
  keyDocumentId,
  keysCollection,
  type StoredVersion,
  versionField,
} from './key-store.ts';
import type { MasterKeyring } from './master-keyring.ts';
import { newTenantKeyVersion, rewrapTenantKey, unwrapTenantKey } from './tenant-key-wrap.ts';
import { DEFAULT_USAGE_BLOCK, DEFAULT_USAGE_CEILING, UsageMeter } from './usage-meter.ts';

export const MIN_WAITING_DAYS = 7;
export const MAX_WAITING_DAYS = 30;
const DAY_MS = 86_400_000;
const MAX_CONTENTION_RETRIES = 8;

export interface KeyringOptions {
  /** The platform database (`parley_platform`); keys live in its `tenant_keys` collection. */
  db: Db;
  masterKeys: MasterKeyring;
  logger: Logger;
  /** How long a loaded key stays in memory; 0 disables the cache. Default 30 s. */
  cacheTtlMs?: number;
  /** Names the producer in the events this keyring writes (e.g. "crypto", "operator"). */
  source?: string;
  /** Uses per key version before a forced rotation (default 2^30) and the reservation block. */
  usageCeiling?: number;
  usageBlockSize?: number;
}

export interface KeyVersionInfo {
  version: number;
  createdAt: Date;
  masterKeyId: string;
  /** Uses reserved so far (an upper bound of actual uses). */
  usage: number;
  /** False once the key is destroyed: the material is gone. */
  available: boolean;
}

export interface KeyMetadata {
  tenant: string;
  keyName: string;
  state: KeyState;
  primaryVersion: number;
  minDecryptionVersion: number;
  versions: KeyVersionInfo[];
  destroyAt?: Date;
  waitingDays?: number;
  destroyedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface RotateOptions {
  /** Two calls with one request key rotate once (e.g. the schedule slot "2026-11-28T00:00Z"). */
  requestKey?: string;
}

export interface RotateResult {
  version: number;
  /** False when the request key had already rotated the key. */
  rotated: boolean;
  metadata: KeyMetadata;
}

export interface DataKey {
  /** 32 bytes; use it, then forget it. Never log or store it. */
  plaintext: Buffer;
  /** The data key wrapped by the tenant key version (ciphertext kind 2); store this. */
  wrapped: Buffer;
  keyName: string;
  keyVersion: number;
}

export interface EncryptOptions {
  keyName?: string;
  /** Caller's additional authenticated data: must be given again, identical, to decrypt. */
  aad?: Uint8Array;
}

export interface RewrapResult {
  ciphertext: Buffer;
  /** The key version the result is sealed or wrapped under. */
  keyVersion: number;
  /** False when it was already under the primary version (returned unchanged). */
  rewrapped: boolean;
}

function toMetadata(doc: KeyDocument): KeyMetadata {
  const clean = withoutOutbox(doc);
  const versions = Object.values(clean.versions)
    .map((v: StoredVersion) => ({
      version: v.version,
      createdAt: v.createdAt,
      masterKeyId: v.masterKeyId,
      usage: clean.usage[versionField(v.version)] ?? 0,
      available: typeof v.wrappedKey === 'string',
    }))
    .sort((a, b) => a.version - b.version);
  return {
    tenant: clean.tenant,
    keyName: clean.keyName,
    state: clean.state,
    primaryVersion: clean.primaryVersion,
    minDecryptionVersion: clean.minDecryptionVersion,
    versions,
    ...(clean.destroyAt ? { destroyAt: clean.destroyAt } : {}),
    ...(clean.waitingDays ? { waitingDays: clean.waitingDays } : {}),
    ...(clean.destroyedAt ? { destroyedAt: clean.destroyedAt } : {}),
    createdAt: clean.createdAt,
    updatedAt: clean.updatedAt,
  };
}

const requestSlot = (requestKey: string) => `r${createHash('sha256').update(requestKey).digest('hex')}`;

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

export class Keyring {
  readonly masterKeys: MasterKeyring;
  private readonly keys: Collection<KeyDocument>;
  private readonly logger: Logger;
  private readonly cache: KeyCache;
  private readonly meter: UsageMeter;
  private readonly source: string;

  constructor(options: KeyringOptions) {
    this.keys = keysCollection(options.db);
    this.masterKeys = options.masterKeys;
    this.logger = options.logger;
    this.cache = new KeyCache(options.cacheTtlMs ?? 30_000);
    this.meter = new UsageMeter({
      ceiling: options.usageCeiling ?? DEFAULT_USAGE_CEILING,
      blockSize: options.usageBlockSize ?? DEFAULT_USAGE_BLOCK,
    });
    this.source = options.source ?? 'keyring';
  }

  /** The collection the outbox relay drains for key events: `sources: async () => [keyring.outboxSource]`. */
  get outboxSource(): Collection<Document> {
    return this.keys as unknown as Collection<Document>;
  }

  async ensureIndexes(): Promise<void> {
    await ensureKeyIndexes(this.keys);
  }

  // ---- key lifecycle -------------------------------------------------------------------------

  /** Idempotent: creates version 1 when the key does not exist; returns the key's metadata. */
  async ensureTenantKey(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const id = keyDocumentId(tenant, keyName);
    const cached = this.cache.get(id);
    if (cached) return toMetadata(cached.doc);
    const existing = await this.keys.findOne({ _id: id, tenant });
    if (existing) return toMetadata(this.cache.put(existing).doc);
    const now = new Date();
    const doc: KeyDocument = {
      _id: id,
      tenant,
      keyName,
      state: 'enabled',
      primaryVersion: 1,
      minDecryptionVersion: 1,
      versions: { [versionField(1)]: newTenantKeyVersion(this.masterKeys, tenant, keyName, 1, now) },
      usage: {},
      rotations: {},
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.keys.insertOne(doc);
      this.logger.info({ tenant, keyName }, 'keyring: key created');
      return toMetadata(this.cache.put(doc).doc);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // Another process created it first: theirs is the key.
      return toMetadata(this.cache.put(await this.loadFresh(tenant, keyName)).doc);
    }
  }

  async listVersions(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    return toMetadata(await this.loadFresh(tenant, keyName));
  }

  /** Every key of a tenant (its default key and its subjects' keys). */
  async listKeys(tenant: string): Promise<KeyMetadata[]> {
    assertTenantId(tenant);
    const docs = await this.keys.find({ tenant }).sort({ keyName: 1 }).toArray();
    return docs.map(toMetadata);
  }

  /**
   * Adds a new primary version. With a request key, idempotent: the first call rotates, every
   * later call with the same key returns the version it made (an operator retry, two replicas
   * firing for one schedule slot).
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
      const doc = await this.loadFresh(tenant, keyName);
      const done = doc.rotations[slot];
      if (done !== undefined) return { version: done, rotated: false, metadata: toMetadata(doc) };
      this.assertUsable(doc);
      const next = doc.primaryVersion + 1;
      const now = new Date();
      const event = this.event(tenant, CryptoKeyRotated, {
        keyName,
        previousVersion: doc.primaryVersion,
        newVersion: next,
        reason,
      });
      const result = await this.keys.findOneAndUpdate(
        { _id: doc._id, tenant, state: 'enabled', primaryVersion: doc.primaryVersion },
        outboxPush<KeyDocument>([event], {
          $set: {
            primaryVersion: next,
            [`versions.${versionField(next)}`]: newTenantKeyVersion(
              this.masterKeys,
              tenant,
              keyName,
              next,
              now,
            ),
            [`rotations.${slot}`]: next,
            updatedAt: now,
          },
        }),
        { returnDocument: 'after' },
      );
      if (result) {
        this.cache.delete(doc._id);
        this.logger.info({ tenant, keyName, version: next, reason }, 'keyring: key rotated');
        return { version: next, rotated: true, metadata: toMetadata(result) };
      }
      // Someone else rotated or changed state in between: read again and decide again.
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
    for (let attempt = 0; attempt < MAX_CONTENTION_RETRIES; attempt++) {
      const doc = await this.loadFresh(tenant, keyName);
      this.assertNotDestroyed(doc);
      if (version === doc.minDecryptionVersion) return toMetadata(doc);
      if (version < doc.minDecryptionVersion) {
        throw new InvalidKeyRequestError(
          `The minimum decryption version of ${keyName} is ${doc.minDecryptionVersion} and is never lowered`,
        );
      }
      if (version > doc.primaryVersion) {
        throw new InvalidKeyRequestError(
          `The minimum decryption version cannot exceed the primary version ${doc.primaryVersion}`,
        );
      }
      const event = this.event(tenant, CryptoKeyMinDecryptionVersionRaised, {
        keyName,
        previousMinimum: doc.minDecryptionVersion,
        minDecryptionVersion: version,
      });
      const result = await this.keys.findOneAndUpdate(
        { _id: doc._id, tenant, minDecryptionVersion: doc.minDecryptionVersion, state: { $ne: 'destroyed' } },
        outboxPush<KeyDocument>([event], { $set: { minDecryptionVersion: version, updatedAt: new Date() } }),
        { returnDocument: 'after' },
      );
      if (result) {
        this.cache.delete(doc._id);
        return toMetadata(result);
      }
    }
    throw new KeyStateConflictError(`Key ${keyName} of tenant ${tenant} is changing too fast; retry`);
  }

  // ---- crypto-shredding ----------------------------------------------------------------------

  /**
   * Schedules the key's destruction after a waiting period of 7..30 days (AWS KMS's window).
   * Meanwhile the key can be neither used nor read, so anything still depending on it shows up
   * while the destruction can still be cancelled. Idempotent while pending.
   */
  async scheduleDestruction(
    tenant: string,
    keyName: string,
    options: { waitingDays: number; now?: Date },
  ): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const { waitingDays } = options;
    if (!Number.isInteger(waitingDays) || waitingDays < MIN_WAITING_DAYS || waitingDays > MAX_WAITING_DAYS) {
      throw new InvalidKeyRequestError(
        `The waiting period is a whole number of days from ${MIN_WAITING_DAYS} to ${MAX_WAITING_DAYS}`,
      );
    }
    const now = options.now ?? new Date();
    const destroyAt = new Date(now.getTime() + waitingDays * DAY_MS);
    const id = keyDocumentId(tenant, keyName);
    const event = this.event(tenant, CryptoKeyDestructionScheduled, {
      keyName,
      destroyAt: destroyAt.toISOString(),
      waitingDays,
    });
    const result = await this.keys.findOneAndUpdate(
      { _id: id, tenant, state: 'enabled' },
      outboxPush<KeyDocument>([event], {
        $set: { state: 'pending-destruction', destroyAt, waitingDays, updatedAt: now },
      }),
      { returnDocument: 'after' },
    );
    this.cache.delete(id);
    if (result) {
      this.logger.info({ tenant, keyName, destroyAt }, 'keyring: key destruction scheduled');
      return toMetadata(result);
    }
    const doc = await this.loadFresh(tenant, keyName);
    this.assertNotDestroyed(doc);
    return toMetadata(doc); // already pending: keep the original date
  }

  async cancelDestruction(tenant: string, keyName: string): Promise<KeyMetadata> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    const id = keyDocumentId(tenant, keyName);
    const event = this.event(tenant, CryptoKeyDestructionCancelled, { keyName });
    const result = await this.keys.findOneAndUpdate(
      { _id: id, tenant, state: 'pending-destruction' },
      outboxPush<KeyDocument>([event], {
        $set: { state: 'enabled', updatedAt: new Date() },
        $unset: { destroyAt: '', waitingDays: '' },
      }),
      { returnDocument: 'after' },
    );
    this.cache.delete(id);
    if (result) {
      this.logger.info({ tenant, keyName }, 'keyring: key destruction cancelled');
      return toMetadata(result);
    }
    const doc = await this.loadFresh(tenant, keyName);
    this.assertNotDestroyed(doc);
    throw new KeyStateConflictError(`Key ${keyName} of tenant ${tenant} is not scheduled for destruction`);
  }

  /**
   * Destroys every key whose waiting period has ended: the wrapped material of all its versions
   * is removed, so nothing under it can ever be decrypted again. Run it periodically (the crypto
   * service does); safe to run from several processes at once.
   */
  async destroyDueKeys(now: Date = new Date()): Promise<KeyMetadata[]> {
    const due = await this.keys.find({ state: 'pending-destruction', destroyAt: { $lte: now } }).toArray();
    const destroyed: KeyMetadata[] = [];
    for (const doc of due) {
      const stripped: Record<string, StoredVersion> = {};
      for (const [field, version] of Object.entries(doc.versions)) {
        stripped[field] = {
          version: version.version,
          masterKeyId: version.masterKeyId,
          createdAt: version.createdAt,
        };
      }
      const event = this.event(doc.tenant, CryptoKeyDestroyed, {
        keyName: doc.keyName,
        destroyedAt: now.toISOString(),
      });
      const result = await this.keys.findOneAndUpdate(
        { _id: doc._id, state: 'pending-destruction', destroyAt: { $lte: now } } as Filter<KeyDocument>,
        outboxPush<KeyDocument>([event], {
          $set: { state: 'destroyed', destroyedAt: now, versions: stripped, updatedAt: now },
          $unset: { destroyAt: '' },
        }),
        { returnDocument: 'after' },
      );
      this.cache.delete(doc._id);
      if (result) {
        this.logger.info({ tenant: doc.tenant, keyName: doc.keyName }, 'keyring: key destroyed');
        destroyed.push(toMetadata(result));
      }
    }
    return destroyed;
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
    const entry = await this.loadForUse(tenant, header.keyName);
    if (header.version === entry.doc.primaryVersion) {
      // Still authenticate it: rewrap must not bless a forged blob by passing it through.
      const key = await this.versionForDecrypt(tenant, header.keyName, header.version);
      const callerAad = kind === KIND_SEALED ? options.aad : undefined;
      open(key, ciphertext, header.bodyOffset, contextAad(header.header, tenant, purpose, callerAad)).fill(0);
      return { ciphertext: Buffer.from(ciphertext), keyVersion: header.version, rewrapped: false };
    }
    const plaintext =
      kind === KIND_SEALED
        ? await this.decrypt(tenant, purpose, ciphertext, options)
        : await this.decryptDataKey(tenant, purpose, ciphertext);
    try {
      const { version, key } = await this.primaryForUse(tenant, header.keyName, purpose);
      const newHeader = encodeKeyedHeader(kind, header.keyName, version);
      const callerAad = kind === KIND_SEALED ? options.aad : undefined;
      const sealed = seal(key, plaintext, contextAad(newHeader, tenant, purpose, callerAad), newHeader);
      return { ciphertext: sealed, keyVersion: version, rewrapped: true };
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * Master key rotation: re-wraps every tenant key version still under an older master key with
   * the primary one. Once it returns, older master keys can be unmounted. Returns versions moved.
   */
  async rewrapUnderPrimaryMasterKey(): Promise<number> {
    const primaryId = this.masterKeys.primaryId;
    let moved = 0;
    for (const doc of await this.keys.find({ state: { $ne: 'destroyed' } }).toArray()) {
      const set: Record<string, unknown> = {};
      for (const [field, stored] of Object.entries(doc.versions)) {
        if (stored.masterKeyId === primaryId || typeof stored.wrappedKey !== 'string') continue;
        const rewrapped = rewrapTenantKey(this.masterKeys, doc.tenant, doc.keyName, {
          ...stored,
          wrappedKey: stored.wrappedKey,
        });
        set[`versions.${field}`] = rewrapped;
      }
      if (Object.keys(set).length === 0) continue;
      const result = await this.keys.updateOne({ _id: doc._id, state: { $ne: 'destroyed' } }, { $set: set });
      if (result.modifiedCount === 1) moved += Object.keys(set).length;
      this.cache.delete(doc._id);
    }
    return moved;
  }

  // ---- cache ---------------------------------------------------------------------------------

  /** Drops cached keys (one key, or all of a tenant's); call on any `crypto.key.*` event. */
  invalidate(tenant: string, keyName?: string): void {
    if (keyName === undefined) this.cache.deleteTenant(tenant);
    else this.cache.delete(keyDocumentId(tenant, keyName));
  }

  clearCache(): void {
    this.cache.clear();
  }

  // ---- internals -----------------------------------------------------------------------------

  private event<P>(tenant: string, definition: Parameters<typeof createEvent>[0], payload: P): EventEnvelope {
    return createEvent(definition, { tenant, source: this.source, payload: payload as never });
  }

  private async loadFresh(tenant: string, keyName: string): Promise<KeyDocument> {
    const doc = await this.keys.findOne({ _id: keyDocumentId(tenant, keyName), tenant });
    if (!doc) throw new UnknownKeyError(tenant, keyName);
    return doc;
  }

  private async loadCached(tenant: string, keyName: string): Promise<CachedKey> {
    const id = keyDocumentId(tenant, keyName);
    return this.cache.get(id) ?? this.cache.put(await this.loadFresh(tenant, keyName));
  }

  private assertNotDestroyed(doc: KeyDocument): void {
    if (doc.state === 'destroyed') throw new KeyDestroyedError(doc.tenant, doc.keyName);
  }

  private assertUsable(doc: KeyDocument): void {
    this.assertNotDestroyed(doc);
    if (doc.state === 'pending-destruction') {
      throw new KeyPendingDestructionError(doc.tenant, doc.keyName, doc.destroyAt ?? new Date(0));
    }
  }

  private async loadForUse(tenant: string, keyName: string): Promise<CachedKey> {
    const entry = await this.loadCached(tenant, keyName);
    this.assertUsable(entry.doc);
    return entry;
  }

  private unwrapped(entry: CachedKey, version: number): KeyObject {
    let key = entry.unwrapped.get(version);
    if (!key) {
      const stored = entry.doc.versions[versionField(version)];
      if (!stored?.wrappedKey) throw new UnknownKeyVersionError(entry.doc.tenant, entry.doc.keyName, version);
      key = unwrapTenantKey(this.masterKeys, entry.doc.tenant, entry.doc.keyName, {
        ...stored,
        wrappedKey: stored.wrappedKey,
      });
      entry.unwrapped.set(version, key);
    }
    return key;
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
      const version = entry.doc.primaryVersion;
      if (this.meter.trySpend(entry.doc._id, version))
        return { version, key: this.unwrapped(entry, version) };
      const reserved = await this.keys.findOneAndUpdate(
        { _id: entry.doc._id, tenant, state: 'enabled', primaryVersion: version },
        { $inc: { [`usage.${versionField(version)}`]: this.meter.blockSize } },
        { returnDocument: 'after' }, // no projection: FerretDB's findAndModify does not serve one
      );
      if (!reserved) {
        this.cache.delete(entry.doc._id); // rotated or state changed meanwhile
        continue;
      }
      const total = reserved.usage?.[versionField(version)] ?? 0;
      if (this.meter.acceptBlock(entry.doc._id, version, total)) {
        return { version, key: this.unwrapped(entry, version) };
      }
      this.logger.warn(
        { tenant, keyName, version, usage: total },
        'keyring: usage ceiling reached; rotating',
      );
      await this.rotateOnce(tenant, keyName, `usage-ceiling:${versionField(version)}`, 'usage-ceiling');
      this.cache.delete(entry.doc._id);
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
    if (version > entry.doc.primaryVersion) {
      // Maybe rotated elsewhere after we cached it: look once more before calling it unknown.
      this.cache.delete(entry.doc._id);
      entry = await this.loadForUse(tenant, keyName);
    }
    if (version < 1 || version > entry.doc.primaryVersion)
      throw new UnknownKeyVersionError(tenant, keyName, version);
    if (version < entry.doc.minDecryptionVersion) {
      throw new KeyVersionRetiredError(tenant, keyName, version, entry.doc.minDecryptionVersion);
    }
    return this.unwrapped(entry, version);
  }
}

export function createKeyring(options: KeyringOptions): Keyring {
  return new Keyring(options);
}

export { KeyringError };
