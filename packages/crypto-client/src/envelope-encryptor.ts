/**
 * Local envelope encryption: one data key per (tenant, purpose), fetched once, seals many payloads
 * in process, so messaging makes no network call per message. Decryption unwraps each distinct
 * data key once and keeps it in a bounded, TTL'd cache.
 *
 * A data key is retired after `maxUsesPerDataKey` payloads (GCM's random-nonce budget, far below
 * NIST's 2^32) or `dataKeyMaxAgeMs` (so a rotation takes effect even without its event), and at
 * once on any `crypto.key.*` event for the tenant (`handleKeyEvent`), which also drops the
 * tenant's unwrapped data keys so a destroyed key stops decrypting here too.
 *
 * The source of data keys is the crypto service (CryptoClient) or, in process, the keyring itself.
 */

import { createSecretKey, type KeyObject } from 'node:crypto';
import type { EventEnvelope } from '@parley/contracts';
import { EnvelopeSealer, openEnvelope, parseEnvelope } from '@parley/envelope';
import { LRUCache } from 'lru-cache';

export interface DataKeySource {
  generateDataKey(tenant: string, purpose: string): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  decryptDataKey(tenant: string, purpose: string, wrapped: Uint8Array): Promise<Buffer>;
}

export interface EnvelopeEncryptorOptions {
  source: DataKeySource;
  maxUsesPerDataKey?: number;
  dataKeyMaxAgeMs?: number;
  /** Unwrapped data keys kept for decryption. */
  decryptCacheSize?: number;
  decryptCacheTtlMs?: number;
  now?: () => number;
}

interface ActiveDataKey {
  sealer: EnvelopeSealer;
  usesLeft: number;
  expiresAt: number;
}

export class EnvelopeEncryptor {
  private readonly source: DataKeySource;
  private readonly maxUses: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly active = new Map<string, ActiveDataKey>();
  private readonly pending = new Map<string, Promise<ActiveDataKey>>();
  private readonly unwrapped: LRUCache<string, KeyObject>;
  private lastOpened: { tenant: string; purpose: string; wrapped: Buffer; key: KeyObject } | undefined;
  /** Bumped on invalidation, so a data key fetched before it is not installed after it. */
  private generation = 0;

  constructor(options: EnvelopeEncryptorOptions) {
    this.source = options.source;
    this.maxUses = options.maxUsesPerDataKey ?? 2 ** 20;
    this.maxAgeMs = options.dataKeyMaxAgeMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.unwrapped = new LRUCache({
      max: options.decryptCacheSize ?? 10_000,
      ttl: options.decryptCacheTtlMs ?? 5 * 60_000,
    });
  }

  // encrypt and decrypt are not `async`: on the hot path (a cached data key) they do the work
  // synchronously and hand back a settled promise, saving the extra ticks an async call costs,
  // which at 1 KiB are a noticeable share of the AES-GCM work itself.

  encrypt(tenant: string, purpose: string, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    const key = this.active.get(`${tenant}\u0000${purpose}`);
    if (key && key.usesLeft > 0 && key.expiresAt > this.now()) {
      key.usesLeft--;
      return settle(() => key.sealer.seal(plaintext, aad));
    }
    return this.encryptWithNewDataKey(tenant, purpose, plaintext, aad);
  }

  decrypt(tenant: string, purpose: string, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    return settle(() => {
      const parsed = parseEnvelope(ciphertext);
      const cached = this.cachedDataKey(tenant, purpose, parsed.wrappedDataKey);
      if (cached) return openEnvelope(cached, ciphertext, tenant, purpose, aad, parsed);
      return this.unwrapDataKey(tenant, purpose, parsed.wrappedDataKey).then((dataKey) =>
        openEnvelope(dataKey, ciphertext, tenant, purpose, aad, parsed),
      );
    });
  }

  private async encryptWithNewDataKey(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Promise<Buffer> {
    const key = await this.fetchDataKey(`${tenant}\u0000${purpose}`, tenant, purpose);
    key.usesLeft--;
    return key.sealer.seal(plaintext, aad);
  }

  private cacheKey(tenant: string, purpose: string, wrappedDataKey: Buffer): string {
    // latin1 maps bytes to characters one to one: an exact key, cheaper to build than base64.
    return `${tenant}\u0000${purpose}\u0000${wrappedDataKey.toString('latin1')}`;
  }

  private cachedDataKey(tenant: string, purpose: string, wrappedDataKey: Buffer): KeyObject | undefined {
    // Runs of payloads share a data key: comparing ~70 bytes beats building and hashing a cache key.
    const last = this.lastOpened;
    if (last && last.tenant === tenant && last.purpose === purpose && last.wrapped.equals(wrappedDataKey)) {
      return last.key;
    }
    const dataKey = this.unwrapped.get(this.cacheKey(tenant, purpose, wrappedDataKey));
    if (dataKey) this.lastOpened = { tenant, purpose, wrapped: Buffer.from(wrappedDataKey), key: dataKey };
    return dataKey;
  }

  private async unwrapDataKey(tenant: string, purpose: string, wrappedDataKey: Buffer): Promise<KeyObject> {
    const generation = this.generation;
    const bytes = await this.source.decryptDataKey(tenant, purpose, wrappedDataKey);
    const dataKey = createSecretKey(bytes);
    bytes.fill(0);
    if (generation !== this.generation) return dataKey; // invalidated meanwhile: use once, keep nothing
    this.unwrapped.set(this.cacheKey(tenant, purpose, wrappedDataKey), dataKey);
    this.lastOpened = { tenant, purpose, wrapped: Buffer.from(wrappedDataKey), key: dataKey };
    return dataKey;
  }

  /** Forgets every data key of a tenant (both directions). */
  invalidate(tenant: string): void {
    this.generation++;
    if (this.lastOpened?.tenant === tenant) this.lastOpened = undefined;
    const prefix = `${tenant}\u0000`;
    for (const slot of this.active.keys()) if (slot.startsWith(prefix)) this.active.delete(slot);
    for (const key of this.unwrapped.keys()) if (key.startsWith(prefix)) this.unwrapped.delete(key);
  }

  /** Feed it every event from the tenants' `keys` topics; it reacts to `crypto.key.*`. */
  handleKeyEvent(event: Pick<EventEnvelope, 'type' | 'tenant'>): void {
    if (event.type.startsWith('crypto.key.')) this.invalidate(event.tenant);
  }

  private fetchDataKey(slot: string, tenant: string, purpose: string): Promise<ActiveDataKey> {
    // Single flight: concurrent first encryptions share one data key request.
    let inFlight = this.pending.get(slot);
    if (!inFlight) {
      const generation = this.generation;
      inFlight = this.source
        .generateDataKey(tenant, purpose)
        .then(({ plaintext, wrapped }) => {
          const key: ActiveDataKey = {
            sealer: new EnvelopeSealer({ tenant, purpose, dataKey: plaintext, wrappedDataKey: wrapped }),
            usesLeft: this.maxUses,
            expiresAt: this.now() + this.maxAgeMs,
          };
          plaintext.fill(0);
          if (generation === this.generation) this.active.set(slot, key);
          return key;
        })
        .finally(() => this.pending.delete(slot));
      this.pending.set(slot, inFlight);
    }
    return inFlight;
  }
}

/** Runs `work` and returns its outcome as a promise; a synchronous throw becomes a rejection. */
function settle<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
