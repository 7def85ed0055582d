/**
 * The pseudonym an address without an account has in audit records (failed logins, lockouts):
 * HMAC-SHA256 of the normalised address under a secret of the tenant's own, so whoever reads the
 * audit log or the audit topic cannot test an address against the records. It used to be an
 * unsalted SHA-256 of the address in the records' clear metadata: anyone holding a guessed
 * address could find every failed login for it, and an erasure could not undo that. Addresses
 * with an account get no pseudonym at all: the user id names them, and their erasure leaves a
 * tombstone behind it.
 *
 * The secret (32 random bytes) is made on first need, stored in the tenant's `settings`
 * collection sealed by the keyring under `subject:unknown-accounts` (the key that seals these
 * records' personal fields; a subject key, which no KeyRotationSchedule rotates under it), bound
 * to the tenant. Crypto-shredding that key or the tenant makes every pseudonym unlinkable.
 * It is read once per process and tenant.
 */

import { createHmac, randomBytes } from 'node:crypto';
import { subjectKeyName } from '@parley/keyring';
import { isDuplicateKeyError } from '@parley/kit';
import { LRUCache } from 'lru-cache';
import type { TenantCollections } from '../store/tenant-store.ts';

export const ACCOUNT_PSEUDONYM_PURPOSE = 'auth.account-pseudonym';
const SECRET_DOCUMENT_ID = 'account-pseudonym-secret';

/** The data subject whose key seals the secret (the same as unknown accounts' personal fields). */
const SECRET_SUBJECT = 'unknown-accounts';

interface SecretDocument {
  _id: typeof SECRET_DOCUMENT_ID;
  sealedSecret: string;
  createdAt: Date;
}

export interface PseudonymSealer {
  ensureTenantKey(tenant: string, keyName?: string): Promise<unknown>;
  encrypt(
    tenant: string,
    purpose: string,
    plaintext: Uint8Array,
    options: { keyName?: string; aad?: Uint8Array },
  ): Promise<Uint8Array>;
  decrypt(
    tenant: string,
    purpose: string,
    ciphertext: Uint8Array,
    options: { aad?: Uint8Array },
  ): Promise<Buffer>;
}

export class AccountPseudonyms {
  readonly #sealer: PseudonymSealer;
  readonly #secrets = new LRUCache<string, Promise<Buffer>>({ max: 10_000 });

  constructor(sealer: PseudonymSealer) {
    this.#sealer = sealer;
  }

  /** The address's pseudonym in this tenant: 32 hex characters. */
  async of(c: TenantCollections, emailKey: string): Promise<string> {
    const secret = await this.#secret(c);
    return createHmac('sha256', secret)
      .update(`parley.account-pseudonym.v1\0${emailKey}`)
      .digest('hex')
      .slice(0, 32);
  }

  #secret(c: TenantCollections): Promise<Buffer> {
    let secret = this.#secrets.get(c.tenant);
    if (!secret) {
      secret = this.#load(c);
      secret.catch(() => this.#secrets.delete(c.tenant));
      this.#secrets.set(c.tenant, secret);
    }
    return secret;
  }

  async #load(c: TenantCollections): Promise<Buffer> {
    const collection = c.db.collection<SecretDocument>('settings');
    const aad = Buffer.from(c.tenant);
    let document = await collection.findOne({ _id: SECRET_DOCUMENT_ID });
    if (!document) {
      const keyName = subjectKeyName(SECRET_SUBJECT);
      await this.#sealer.ensureTenantKey(c.tenant, keyName);
      const sealed = await this.#sealer.encrypt(c.tenant, ACCOUNT_PSEUDONYM_PURPOSE, randomBytes(32), {
        keyName,
        aad,
      });
      try {
        await collection.insertOne({
          _id: SECRET_DOCUMENT_ID,
          sealedSecret: Buffer.from(sealed).toString('base64'),
          createdAt: new Date(),
        });
      } catch (error) {
        // Another replica made it first: use theirs.
        if (!isDuplicateKeyError(error)) throw error;
      }
      document = await collection.findOne({ _id: SECRET_DOCUMENT_ID });
      if (!document) throw new Error('account pseudonym secret vanished after it was written');
    }
    return this.#sealer.decrypt(
      c.tenant,
      ACCOUNT_PSEUDONYM_PURPOSE,
      Buffer.from(document.sealedSecret, 'base64'),
      {
        aad,
      },
    );
  }
}
