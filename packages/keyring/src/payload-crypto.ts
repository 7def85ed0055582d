/**
 * What callers encrypt with a tenant key: data keys (generated and wrapped, unwrapped), small
 * payloads sealed directly (kind 1), and rewrap of any ciphertext kind to the primary version
 * without letting plaintext out. Every use of a version is counted (usage-meter.ts): at its
 * ceiling the key is rotated first, so GCM's random-nonce budget is never exceeded.
 */
import { type KeyObject, randomBytes } from 'node:crypto';
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
import { assertTenantId } from '@parley/tenancy';
import { DecryptionFailedError, KeyStateConflictError } from './errors.ts';
import { type KeyAccess, MAX_CONTENTION_RETRIES } from './key-access.ts';
import type { KeyLifecycle } from './key-lifecycle.ts';
import type { DataKey, EncryptOptions, RewrapResult } from './key-metadata.ts';
import { assertKeyName, assertPurpose, DEFAULT_KEY_NAME } from './key-names.ts';
import { keyId, type UsageRecord, usageRecordId } from './key-store.ts';
import type { UsageMeter } from './usage-meter.ts';

export class PayloadCrypto {
  readonly #a: KeyAccess;
  readonly #lifecycle: KeyLifecycle;
  readonly #meter: UsageMeter;

  constructor(access: KeyAccess, lifecycle: KeyLifecycle, meter: UsageMeter) {
    this.#a = access;
    this.#lifecycle = lifecycle;
    this.#meter = meter;
  }

  /** A fresh 256-bit data key and the same key wrapped by the tenant key's primary version. */
  async generateDataKey(
    tenant: string,
    purpose: string,
    options: { keyName?: string } = {},
  ): Promise<DataKey> {
    const keyName = options.keyName ?? DEFAULT_KEY_NAME;
    const { version, key } = await this.#primaryForUse(tenant, keyName, purpose);
    const plaintext = randomBytes(KEY_BYTES);
    const header = encodeKeyedHeader(KIND_DATA_KEY, keyName, version);
    const wrapped = seal(key, plaintext, contextAad(header, tenant, purpose), header);
    return { plaintext, wrapped, keyName, keyVersion: version };
  }

  async decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer> {
    assertTenantId(tenant);
    assertPurpose(purpose);
    const header = decodeKeyedHeader(wrapped, KIND_DATA_KEY);
    const key = await this.#a.versionForDecrypt(tenant, header.keyName, header.version);
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
    const { version, key } = await this.#primaryForUse(tenant, keyName, purpose);
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
    const key = await this.#a.versionForDecrypt(tenant, header.keyName, header.version);
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
    const oldKey = await this.#a.versionForDecrypt(tenant, header.keyName, header.version);
    const plaintext = open(
      oldKey,
      ciphertext,
      header.bodyOffset,
      contextAad(header.header, tenant, purpose, callerAad),
    );
    try {
      const entry = await this.#a.loadForUse(tenant, header.keyName);
      if (header.version === entry.snapshot.primaryVersion) {
        return { ciphertext: Buffer.from(ciphertext), keyVersion: header.version, rewrapped: false };
      }
      const { version, key } = await this.#primaryForUse(tenant, header.keyName, purpose);
      const newHeader = encodeKeyedHeader(kind, header.keyName, version);
      const sealed = seal(key, plaintext, contextAad(newHeader, tenant, purpose, callerAad), newHeader);
      return { ciphertext: sealed, keyVersion: version, rewrapped: true };
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * Reserves a block of uses for a version by inserting its usage record; returns the block index
   * (one past the ceiling when the version is used up). Blocks taken by other processes are
   * skipped; the first guess comes from this process's last block, else from a count.
   */
  async #reserveBlock(tenant: string, keyName: string, version: number): Promise<number> {
    const meter = this.#meter;
    const id = keyId(tenant, keyName);
    const count = () => this.#a.keys.countDocuments({ tenant, keyName, record: 'usage', version } as never);
    let block = meter.nextBlockHint(id, version) ?? (await count());
    for (let attempt = 0; attempt < 256; attempt++, block++) {
      if (attempt > 0 && attempt % 32 === 0) block = Math.max(block, await count()); // many racers: catch up
      if (meter.exceedsCeiling(block)) return block;
      const record: UsageRecord = {
        _id: usageRecordId(tenant, keyName, version, block),
        record: 'usage',
        tenant,
        keyName,
        slot: `usage:v${version}:${block}`,
        version,
        block,
        uses: meter.blockSize,
        createdAt: new Date(),
      };
      if (await this.#a.records.insert(record)) return block;
    }
    throw new KeyStateConflictError(
      `Key ${keyName} of tenant ${tenant} is too contended to reserve uses; retry`,
    );
  }

  /** The primary version for one more use, rotating first when its usage ceiling is reached. */
  async #primaryForUse(
    tenant: string,
    keyName: string,
    purpose: string,
  ): Promise<{ version: number; key: KeyObject }> {
    assertTenantId(tenant);
    assertKeyName(keyName);
    assertPurpose(purpose);
    const meter = this.#meter;
    for (let attempt = 0; attempt < MAX_CONTENTION_RETRIES; attempt++) {
      const entry = await this.#a.loadForUse(tenant, keyName);
      const version = entry.snapshot.primaryVersion;
      if (meter.trySpend(entry.id, version)) return { version, key: await this.#a.unwrapped(entry, version) };
      const block = await this.#reserveBlock(tenant, keyName, version);
      if (!meter.exceedsCeiling(block)) {
        meter.granted(entry.id, version, block);
        return { version, key: await this.#a.unwrapped(entry, version) };
      }
      this.#a.logger.warn({ tenant, keyName, version }, 'keyring: usage ceiling reached; rotating');
      await this.#lifecycle.rotateOnce(tenant, keyName, `usage-ceiling:v${version}`, 'usage-ceiling');
      this.#a.cache.delete(entry.id);
    }
    throw new KeyStateConflictError(`Key ${keyName} of tenant ${tenant} is changing too fast to use; retry`);
  }
}
