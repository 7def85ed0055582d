/**
 * Where a process's keyring keeps its key-encryption keys, as the settings say
 * (settings.ts: KEK_MONGO_URL, KEK_MONGO_DATABASE). A shred is final only while no single backup
 * holds both a key's records and its KEK, so production gives the KEKs a MongoDB server of their
 * own (its own backups, its own credentials); local runs keep them in a database of their own on
 * the main server (`parley_platform_keks`, beside `parley_platform`).
 *
 * Every keyring user (auth, compliance, crypto, the operator) opens its store through this, so
 * all of them read and destroy the same KEKs: one that made KEKs elsewhere would write key
 * versions the others cannot unwrap.
 */
import { connectMongo, type Logger, type Stoppable } from '@parley/kit';
import type { Db } from 'mongodb';
import { type KeyEncryptionKeyStore, MongoKeyEncryptionKeys } from './key-encryption-keys.ts';

export interface KeyEncryptionKeySettings {
  KEK_MONGO_URL?: string | undefined;
  KEK_MONGO_DATABASE: string;
  /** Outside development, KEKs on the main server are worth a warning at every start. */
  PARLEY_ENV?: string | undefined;
}

export interface KeyEncryptionKeyConnection extends Stoppable {
  /** For `createKeyring({ keyEncryptionKeys })`. */
  store: KeyEncryptionKeyStore;
  /** The database the store keeps them in. */
  database: Db;
  /** True when the KEKs are on a server (connection) of their own. */
  separateServer: boolean;
  /** Answers when the KEK server does (a readiness check). */
  ping(): Promise<void>;
}

/**
 * Opens the KEK store for a keyring over `keysDb`. Refuses to keep KEKs in the keys' own
 * database, where every backup of the records would carry them.
 */
export async function connectKeyEncryptionKeys(
  settings: KeyEncryptionKeySettings,
  keysDb: Db,
  logger: Logger,
): Promise<KeyEncryptionKeyConnection> {
  const database = settings.KEK_MONGO_DATABASE;
  if (!settings.KEK_MONGO_URL) {
    if (database === keysDb.databaseName)
      throw new Error(
        `KEK_MONGO_DATABASE must not be the key records' database (${database}): a backup of it would hold both`,
      );
    const level = settings.PARLEY_ENV === 'development' ? 'info' : 'warn';
    logger[level](
      { database },
      'key-encryption keys are on the main Mongo server (KEK_MONGO_URL unset): a backup of that server taken before a shred, with the master key, undoes it',
    );
    return {
      name: 'key-encryption-keys',
      store: new MongoKeyEncryptionKeys(keysDb.client.db(database)),
      database: keysDb.client.db(database),
      separateServer: false,
      ping: async () => {
        await keysDb.client.db(database).command({ ping: 1 });
      },
      stop: async () => {},
    };
  }
  const connection = await connectMongo(settings.KEK_MONGO_URL, logger, { appName: 'parley-keks' });
  logger.info({ database }, 'key-encryption keys on a server of their own (KEK_MONGO_URL)');
  return {
    name: 'key-encryption-keys',
    store: new MongoKeyEncryptionKeys(connection.client.db(database)),
    database: connection.client.db(database),
    separateServer: true,
    ping: connection.ping,
    stop: connection.stop,
  };
}
