/**
 * A service's keyring, wired one way by every components.ts (auth, compliance, crypto, messaging,
 * search): the key records in the platform database (a test's own when it gives one), the
 * key-encryption keys on their own server when main.ts connected one (KEK_MONGO_URL), the cache
 * lifetime from KEY_CACHE_TTL_MS, the service's name on the key events it writes, and the indexes
 * ensured before anything is served. A test that made its keyring itself (its own master key)
 * passes it as `keyring`, and that one is used (its indexes ensured all the same).
 */
import type { Logger } from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import type { Db, MongoClient } from 'mongodb';
import type { KeyEncryptionKeyConnection } from './key-encryption-key-server.ts';
import { createKeyring, type Keyring, type KeyringOptions } from './keyring.ts';
import type { MasterKeyring } from './master-keyring.ts';

/** The part of a service's clients its keyring is made from. */
export interface ServiceKeyringClients {
  logger: Logger;
  mongo: { client: MongoClient };
  /** loadConfiguredMasterKeys(settings) in main.ts; a test's own MasterKeyring. */
  masterKeys?: MasterKeyring;
  /** connectKeyEncryptionKeys(settings, ...) in main.ts; tests leave it out (kept beside the keys). */
  keks?: KeyEncryptionKeyConnection;
  /** Key records: parley_platform unless a test gives a database of its own. */
  platformDb?: Db;
  /** A keyring the caller made (a test's keyring fixture): used as it is. */
  keyring?: Keyring;
}

export async function serviceKeyring(
  source: string,
  settings: { KEY_CACHE_TTL_MS: number },
  clients: ServiceKeyringClients,
  /** What only some services ask of their keyring (crypto: the legal holds on destroying a key). */
  extra: Pick<KeyringOptions, 'destructionHolds'> = {},
): Promise<Keyring> {
  if (!clients.keyring && !clients.masterKeys)
    throw new Error(`${source}: master keys or a keyring are needed`);
  const keyring =
    clients.keyring ??
    createKeyring({
      db: clients.platformDb ?? clients.mongo.client.db(PLATFORM_DATABASE),
      ...(clients.keks ? { keyEncryptionKeys: clients.keks.store } : {}),
      masterKeys: clients.masterKeys as MasterKeyring,
      logger: clients.logger,
      cacheTtlMs: settings.KEY_CACHE_TTL_MS,
      source,
      ...extra,
    });
  await keyring.ensureIndexes();
  return keyring;
}
