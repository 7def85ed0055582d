/**
 * Key-encryption keys (KEKs): one random 256-bit secret per tenant key (tenant, key name), kept in
 * a store apart from the key records. A version's wrapping key is derived from the master key and
 * the KEK together (tenant-key-wrap.ts), and destroying a key deletes its KEK first: from then on
 * the key's records, in the live database or in any backup of it, unwrap under no master key.
 *
 * The store is an interface so a deployment can put KEKs where its backups do not reach (see the
 * README's threat model). The one shipped keeps them in a Mongo database of their own
 * (`<keys database>_keks`, e.g. `parley_platform_keks`), never in the database that holds the
 * key records, so a backup or copy of `parley_platform` carries no KEK.
 */

import { randomBytes } from 'node:crypto';
import { KEY_BYTES } from '@parley/envelope';
import { isDuplicateKeyError } from '@parley/kit';
import type { Collection, Db } from 'mongodb';

export interface KeyEncryptionKeyStore {
  /** The key's KEK, or undefined when it was destroyed (or never made). Never creates one. */
  get(tenant: string, keyName: string): Promise<Buffer | undefined>;
  /** The key's KEK, made now if there is none; racing creators all end up with the same one. */
  getOrCreate(tenant: string, keyName: string): Promise<Buffer>;
  /** Deletes the key's KEK: what makes a destruction final. Idempotent. */
  destroy(tenant: string, keyName: string): Promise<void>;
}

export const KEK_COLLECTION = 'key_encryption_keys';

/** Where the shipped store keeps KEKs: a database beside (never inside) the keys' database. */
export const kekDatabaseName = (keysDatabase: string): string => `${keysDatabase}_keks`;

interface KekDocument {
  _id: string;
  tenant: string;
  keyName: string;
  /** base64 of 32 random bytes */
  kek: string;
  createdAt: Date;
}

const kekId = (tenant: string, keyName: string) => `${tenant}/${keyName}`;

export class MongoKeyEncryptionKeys implements KeyEncryptionKeyStore {
  readonly collection: Collection<KekDocument>;

  constructor(db: Db) {
    this.collection = db.collection<KekDocument>(KEK_COLLECTION);
  }

  /** The store for a keyring over `keysDb`: database `<keysDb>_keks` on the same client. */
  static besides(keysDb: Db): MongoKeyEncryptionKeys {
    return new MongoKeyEncryptionKeys(keysDb.client.db(kekDatabaseName(keysDb.databaseName)));
  }

  async get(tenant: string, keyName: string): Promise<Buffer | undefined> {
    const doc = await this.collection.findOne({ _id: kekId(tenant, keyName) });
    return doc ? Buffer.from(doc.kek, 'base64') : undefined;
  }

  async getOrCreate(tenant: string, keyName: string): Promise<Buffer> {
    const existing = await this.get(tenant, keyName);
    if (existing) return existing;
    const kek = randomBytes(KEY_BYTES);
    try {
      // The unique _id arbitrates racing creators: exactly one insert wins, the others read it.
      await this.collection.insertOne({
        _id: kekId(tenant, keyName),
        tenant,
        keyName,
        kek: kek.toString('base64'),
        createdAt: new Date(),
      });
      return kek;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await this.get(tenant, keyName);
      if (!winner) throw new Error(`The KEK of ${kekId(tenant, keyName)} was destroyed while being created`);
      return winner;
    }
  }

  async destroy(tenant: string, keyName: string): Promise<void> {
    await this.collection.deleteOne({ _id: kekId(tenant, keyName) });
  }
}
