/**
 * For integration tests: a keyring over a database of its own on the real Mongo-wire server
 * (dropped afterwards, with its KEK database), a fresh master key, and tenant ids unique to the run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connectMongo, loadConfig, type MongoConnection, mongoSettings } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import type { Db } from 'mongodb';
import { Type } from 'typebox';
import { kekDatabaseName } from '../key-encryption-keys.ts';
import { createKeyring, type Keyring, type KeyringOptions } from '../keyring.ts';
import { MasterKeyring } from '../master-keyring.ts';

export interface KeyringFixture {
  mongo: MongoConnection;
  db: Db;
  masterKeys: MasterKeyring;
  keyring: (overrides?: Partial<KeyringOptions>) => Keyring;
  uniqueTenant: (label?: string) => string;
  /** Keyrings on connections of their own, for races that must really run concurrently. */
  separateKeyrings: (count: number, overrides?: Partial<KeyringOptions>) => Promise<Keyring[]>;
  close: () => Promise<void>;
}

export async function openKeyringFixture(): Promise<KeyringFixture> {
  const config = loadConfig(Type.Object({ ...mongoSettings }));
  const logger = createSilentLogger();
  const mongo = await connectMongo(config.MONGO_URL, logger);
  const extraConnections: MongoConnection[] = [];
  const db = mongo.client.db(`parley_keyring_test_${randomUUID().slice(0, 8)}`);
  const masterKeys = MasterKeyring.fromKeys([{ id: 'test-1', key: randomBytes(32) }]);
  const keyring = (overrides: Partial<KeyringOptions> = {}) =>
    createKeyring({ db, masterKeys, logger, cacheTtlMs: 30_000, source: 'test', ...overrides });
  await keyring().ensureIndexes();
  return {
    mongo,
    db,
    masterKeys,
    keyring,
    uniqueTenant: (label = 't') => `${label}-${randomUUID().slice(0, 8)}`,
    separateKeyrings: async (count, overrides = {}) => {
      const keyrings: Keyring[] = [];
      for (let i = 0; i < count; i++) {
        const connection = await connectMongo(config.MONGO_URL, logger);
        extraConnections.push(connection);
        keyrings.push(
          createKeyring({
            db: connection.client.db(db.databaseName),
            masterKeys,
            logger,
            source: 'test',
            ...overrides,
          }),
        );
      }
      return keyrings;
    },
    close: async () => {
      for (const connection of extraConnections) await connection.stop();
      await db.dropDatabase();
      await mongo.client.db(kekDatabaseName(db.databaseName)).dropDatabase();
      await mongo.stop();
    },
  };
}
