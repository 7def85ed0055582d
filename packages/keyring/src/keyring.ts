/**
 * The keyring: the one place that wraps, unwraps, rotates and rewraps keys. The crypto service,
 * the operator's KeyRotationSchedule and Tenant reconcilers, auth and compliance all use it.
 * Hierarchy: master key (file) -> tenant key versions (Mongo, wrapped) -> data keys (wrapped by
 * a tenant key version, held by the caller). See ../README.md for the API and the formats.
 *
 * This class is the facade; each job is a file of its own: key-lifecycle.ts (create, list,
 * rotate, minimum version), key-destruction.ts (crypto-shredding), payload-crypto.ts (data keys,
 * payloads, rewrap), master-key-rewrap.ts (moving stored versions to new wrapping), and
 * key-access.ts (loading, checking and unwrapping a key, shared by all of them). The ciphertext
 * format is @parley/envelope's.
 */
import type { Logger } from '@parley/kit';
import type { Collection, Db, Document } from 'mongodb';
import type { DestructionHoldCheck } from './destruction-holds.ts';
import { KeyringError } from './errors.ts';
import { KeyAccess } from './key-access.ts';
import { KeyCache } from './key-cache.ts';
import { KeyDestruction } from './key-destruction.ts';
import { type KeyEncryptionKeyStore, MongoKeyEncryptionKeys } from './key-encryption-keys.ts';
import { KeyLifecycle } from './key-lifecycle.ts';
import type {
  DataKey,
  EncryptOptions,
  KeyMetadata,
  RewrapResult,
  RotateOptions,
  RotateResult,
} from './key-metadata.ts';
import { DEFAULT_KEY_NAME } from './key-names.ts';
import { KeyRecords } from './key-records.ts';
import { ensureKeyIndexes, type KeyRecord, keyId, keysCollection } from './key-store.ts';
import { migrateLegacyKeyDocuments } from './legacy-layout.ts';
import { rewrapUnderPrimaryMasterKey, wrapWithKeyEncryptionKeys } from './master-key-rewrap.ts';
import type { MasterKeyring } from './master-keyring.ts';
import { PayloadCrypto } from './payload-crypto.ts';
import { DEFAULT_USAGE_BLOCK, DEFAULT_USAGE_CEILING, UsageMeter } from './usage-meter.ts';

export { MAX_WAITING_DAYS, MIN_WAITING_DAYS } from './key-destruction.ts';
export { CREATE_SLOT } from './key-lifecycle.ts';
export type {
  DataKey,
  EncryptOptions,
  KeyMetadata,
  KeyVersionInfo,
  RewrapResult,
  RotateOptions,
  RotateResult,
} from './key-metadata.ts';

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

export class Keyring {
  readonly masterKeys: MasterKeyring;
  readonly keyEncryptionKeys: KeyEncryptionKeyStore;
  private readonly keys: Collection<KeyRecord>;
  private readonly logger: Logger;
  private readonly cache: KeyCache;
  private readonly access: KeyAccess;
  private readonly lifecycle: KeyLifecycle;
  private readonly payloads: PayloadCrypto;
  private readonly destruction: KeyDestruction;

  constructor(options: KeyringOptions) {
    this.keys = keysCollection(options.db);
    const records = new KeyRecords(this.keys);
    this.masterKeys = options.masterKeys;
    this.keyEncryptionKeys = options.keyEncryptionKeys ?? MongoKeyEncryptionKeys.besides(options.db);
    this.logger = options.logger;
    this.cache = new KeyCache(options.cacheTtlMs ?? 30_000, options.cacheMaxKeys);
    this.access = new KeyAccess({
      keys: this.keys,
      records,
      masterKeys: this.masterKeys,
      keyEncryptionKeys: this.keyEncryptionKeys,
      cache: this.cache,
      logger: this.logger,
      source: options.source ?? 'keyring',
    });
    this.lifecycle = new KeyLifecycle(this.access);
    const meter = new UsageMeter({
      ceiling: options.usageCeiling ?? DEFAULT_USAGE_CEILING,
      blockSize: options.usageBlockSize ?? DEFAULT_USAGE_BLOCK,
    });
    this.payloads = new PayloadCrypto(this.access, this.lifecycle, meter);
    this.destruction = new KeyDestruction({
      records,
      logger: this.logger,
      holds: options.destructionHolds,
      forget: (tenant, keyName) => this.cache.delete(keyId(tenant, keyName)),
      destroyKek: (tenant, keyName) => this.keyEncryptionKeys.destroy(tenant, keyName),
      event: (tenant, definition, payload) => this.access.event(tenant, definition, payload),
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

  /** Moves every version still wrapped under the master key alone to the master key and its KEK. */
  wrapWithKeyEncryptionKeys(): Promise<number> {
    return wrapWithKeyEncryptionKeys(this.access);
  }

  // ---- key lifecycle (key-lifecycle.ts) -------------------------------------------------------

  /** Idempotent: creates version 1 when the key does not exist; returns the key's metadata. */
  ensureTenantKey(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    return this.lifecycle.ensureTenantKey(tenant, keyName);
  }

  listVersions(tenant: string, keyName: string = DEFAULT_KEY_NAME): Promise<KeyMetadata> {
    return this.lifecycle.listVersions(tenant, keyName);
  }

  /** Every key of a tenant (its default key and its subjects' keys). */
  listKeys(tenant: string): Promise<KeyMetadata[]> {
    return this.lifecycle.listKeys(tenant);
  }

  /**
   * Adds a new primary version. With a request key, idempotent: the first call rotates, every
   * later call with the same key returns the version it made.
   */
  rotate(
    tenant: string,
    keyName: string = DEFAULT_KEY_NAME,
    options: RotateOptions = {},
  ): Promise<RotateResult> {
    return this.lifecycle.rotate(tenant, keyName, options);
  }

  /** Raises the minimum version that may decrypt (Vault's min_decryption_version). Never lowers it. */
  setMinDecryptionVersion(tenant: string, keyName: string, version: number): Promise<KeyMetadata> {
    return this.lifecycle.setMinDecryptionVersion(tenant, keyName, version);
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

  // ---- data keys and payloads (payload-crypto.ts) ---------------------------------------------

  /** A fresh 256-bit data key and the same key wrapped by the tenant key's primary version. */
  generateDataKey(tenant: string, purpose: string, options: { keyName?: string } = {}): Promise<DataKey> {
    return this.payloads.generateDataKey(tenant, purpose, options);
  }

  decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer> {
    return this.payloads.decryptDataKey(tenant, purpose, wrapped);
  }

  /** Seals a small payload directly under the tenant key (ciphertext kind 1). */
  encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: EncryptOptions = {},
  ): Promise<Buffer> {
    return this.payloads.encrypt(tenant, purpose, plaintext, options);
  }

  decrypt(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<Buffer> {
    return this.payloads.decrypt(tenant, purpose, ciphertext, options);
  }

  /**
   * Moves a ciphertext (kind 1), a wrapped data key (kind 2) or an envelope (kind 3: only its
   * wrapped data key changes) to the key's primary version. No plaintext leaves the keyring.
   */
  rewrap(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array } = {},
  ): Promise<RewrapResult> {
    return this.payloads.rewrap(tenant, purpose, ciphertext, options);
  }

  /**
   * Master key rotation: re-wraps every tenant key version still under an older master key with
   * the primary one (master-key-rewrap.ts). Once it returns, older master keys can be unmounted.
   */
  rewrapUnderPrimaryMasterKey(): Promise<number> {
    return rewrapUnderPrimaryMasterKey(this.access);
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
}

export function createKeyring(options: KeyringOptions): Keyring {
  return new Keyring(options);
}

export { KeyringError };
