/**
 * For integration tests: a keyring over a database of its own on the real Mongo-wire server
 * (dropped afterwards), a fresh master key, and tenant ids unique to the run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connectMongo, loadConfig, type MongoConnection, mongoSettings } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import type { Db } from 'mongodb';
import { Type } from 'typebox';
import { createKeyring, type Keyring, type KeyringOptions } from '../keyring.ts';
import { MasterKeyring } from '../master-keyring.ts';

export interface KeyringFixture {
  mongo: MongoConnection;
  db: Db;
  masterKeys: MasterKeyring;
  keyring: (overrides?: Partial<KeyringOptions>) => Keyring;
  uniqueTenant: (label?: string) => string;
  close: () => Promise<void>;
}

export async function openKeyringFixture(): Promise<KeyringFixture> {
  const config = loadConfig(Type.Object({ ...mongoSettings }));
  const logger = createSilentLogger();
  const mongo = await connectMongo(config.MONGO_URL, logger);
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
    close: async () => {
      await db.dropDatabase();
      await mongo.stop();
    },
  };
}
