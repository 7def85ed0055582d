/**
 * Access-token signing with rotation. Time is cut into periods; each tenant has one Ed25519 key
 * per period, created on first need by whichever replica gets there first (the document id is
 * the tenant and period, so a race makes one key). The next period's key is created ahead of
 * time, so it is in every client's cached JWKS before it signs anything. A key stays published
 * until every token it signed has expired. Key ids start with the tenant (`<tenant>.<period>.<n>`)
 * so a verifier can check a token was signed by its own tenant's key.
 *
 * Keys are per tenant (as Keycloak realms are): one tenant's key can never sign another's tokens,
 * and crypto-shredding a tenant's key in the keyring kills its signing keys with it.
 */

import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { SIGNING_KEY_PURPOSE } from '@parley/contracts';
import type { Keyring } from '@parley/keyring';
import { isDuplicateKeyError } from '@parley/kit';
import { exportJWK, type JSONWebKeySet, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Collection } from 'mongodb';
import type { SigningKeyDocument } from '../store/signing-key-store.ts';

/** Declared, with the fields it seals, in @parley/contracts' ENCRYPTED_FIELDS (background rewrap). */
export { SIGNING_KEY_PURPOSE };

export interface SigningKeysOptions {
  collection: Collection<SigningKeyDocument>;
  keyring: Keyring;
  periodSeconds: number;
  accessTokenTtlSeconds: number;
  clockToleranceSeconds: number;
  now?: () => number;
}

export interface Signer {
  kid: string;
  privateKey: KeyObject;
}

const JWKS_CACHE_MS = 5_000;

export class SigningKeys {
  readonly #options: Required<SigningKeysOptions>;
  readonly #signers = new Map<string, { period: number; signer: Signer }>();
  readonly #creating = new Map<string, Promise<SigningKeyDocument>>();
  readonly #jwks = new LRUCache<string, { at: number; value: Promise<JSONWebKeySet> }>({ max: 10_000 });

  constructor(options: SigningKeysOptions) {
    this.#options = { now: Date.now, ...options };
  }

  periodAt(ms: number): number {
    return Math.floor(ms / 1000 / this.#options.periodSeconds);
  }

  /** The key that signs for the tenant now (made if missing); the next one is made ahead of time. */
  async signerFor(tenant: string): Promise<Signer> {
    const now = this.#options.now();
    const period = this.periodAt(now);
    const cached = this.#signers.get(tenant);
    if (cached && cached.period === period) {
      this.#prepareNext(tenant, period, now);
      return cached.signer;
    }
    const document = await this.#ensure(tenant, period);
    const der = await this.#options.keyring.decrypt(
      tenant,
      SIGNING_KEY_PURPOSE,
      Buffer.from(document.sealedPrivateKey, 'base64'),
      {
        aad: Buffer.from(document.kid),
      },
    );
    const signer = {
      kid: document.kid,
      privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
    };
    der.fill(0);
    this.#signers.set(tenant, { period, signer });
    this.#prepareNext(tenant, period, now);
    return signer;
  }

  /**
   * One tenant's published keys (what `/v1/tenants/<t>/.well-known/jwks.json` serves), remembered for
   * a few seconds. There is deliberately no set of every tenant's keys: it would name every tenant.
   */
  tenantJwks(tenant: string): Promise<JSONWebKeySet> {
    const now = this.#options.now();
    const cached = this.#jwks.get(tenant);
    if (cached && now - cached.at <= JWKS_CACHE_MS) return cached.value;
    const value = this.#options.collection
      .find({ tenant, publishUntil: { $gt: new Date(now) } }, { projection: { publicJwk: 1 } })
      .toArray()
      .then((documents) => ({ keys: documents.map((d) => d.publicJwk) }));
    value.catch(() => this.#jwks.delete(tenant));
    this.#jwks.set(tenant, { at: now, value });
    return value;
  }

  /** Forgets cached key sets (after a key was made, so it is served at once). */
  invalidate(tenant?: string): void {
    if (tenant) this.#jwks.delete(tenant);
    else this.#jwks.clear();
  }

  #prepareNext(tenant: string, period: number, now: number): void {
    const { periodSeconds, accessTokenTtlSeconds } = this.#options;
    const periodEnd = (period + 1) * periodSeconds * 1000;
    // Ahead by a tenth of a period (at least two token lifetimes): clients refresh their JWKS well before.
    const lead = Math.max(periodSeconds * 100, accessTokenTtlSeconds * 2000);
    if (periodEnd - now <= lead) this.#ensure(tenant, period + 1).catch(() => {});
  }

  #ensure(tenant: string, period: number): Promise<SigningKeyDocument> {
    const id = `${tenant}/${period}`;
    let creating = this.#creating.get(id);
    if (!creating) {
      creating = this.#findOrCreate(tenant, period).finally(() => this.#creating.delete(id));
      this.#creating.set(id, creating);
    }
    return creating;
  }

  async #findOrCreate(tenant: string, period: number): Promise<SigningKeyDocument> {
    const id = `${tenant}/${period}`;
    const existing = await this.#options.collection.findOne({ _id: id });
    if (existing) return existing;
    const { periodSeconds, accessTokenTtlSeconds, clockToleranceSeconds } = this.#options;
    const kid = `${tenant}.${period}.${randomBytes(4).toString('hex')}`;
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    await this.#options.keyring.ensureTenantKey(tenant);
    const sealed = await this.#options.keyring.encrypt(tenant, SIGNING_KEY_PURPOSE, der, {
      aad: Buffer.from(kid),
    });
    der.fill(0);
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    const signFrom = new Date(period * periodSeconds * 1000);
    const signUntil = new Date((period + 1) * periodSeconds * 1000);
    const document: SigningKeyDocument = {
      _id: id,
      tenant,
      period,
      kid,
      publicJwk,
      sealedPrivateKey: sealed.toString('base64'),
      createdAt: new Date(),
      signFrom,
      signUntil,
      publishUntil: new Date(signUntil.getTime() + (accessTokenTtlSeconds + clockToleranceSeconds) * 1000),
    };
    try {
      await this.#options.collection.insertOne(document);
      this.invalidate(tenant);
      return document;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await this.#options.collection.findOne({ _id: id });
      if (!winner) throw error;
      return winner;
    }
  }
}
