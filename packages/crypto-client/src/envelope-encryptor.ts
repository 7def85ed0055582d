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
import { EnvelopeSealer, openEnvelope, parseEnvelope } from '@parley/keyring/envelope';
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

  async encrypt(tenant: string, purpose: string, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    const slot = `${tenant}\u0000${purpose}`;
    let key = this.active.get(slot);
    if (!key || key.usesLeft <= 0 || key.expiresAt <= this.now())
      key = await this.fetchDataKey(slot, tenant, purpose);
    key.usesLeft--;
    return key.sealer.seal(plaintext, aad);
  }

  async decrypt(tenant: string, purpose: string, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    const { wrappedDataKey } = parseEnvelope(ciphertext);
    const cacheKey = `${tenant}\u0000${purpose}\u0000${wrappedDataKey.toString('base64')}`;
    let dataKey = this.unwrapped.get(cacheKey);
    if (!dataKey) {
      const generation = this.generation;
      const bytes = await this.source.decryptDataKey(tenant, purpose, wrappedDataKey);
      dataKey = createSecretKey(bytes);
      bytes.fill(0);
      if (generation === this.generation) this.unwrapped.set(cacheKey, dataKey);
    }
    return openEnvelope(dataKey, ciphertext, tenant, purpose, aad);
  }

  /** Forgets every data key of a tenant (both directions). */
  invalidate(tenant: string): void {
    this.generation++;
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
