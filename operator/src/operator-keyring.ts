/**
 * The operator's keyring (packages/keyring over parley_platform): master keys from
 * MASTER_KEY_PATH (minted locally only when MASTER_KEY_CREATE_IF_MISSING), events sourced
 * "operator" in the keyring's outbox. Legal holds (any active hold of the tenant) refuse the
 * scheduling of a key's destruction, as they do in the crypto service's keyring.
 */

import { createKeyring, type Keyring, loadConfiguredMasterKeys } from '@parley/keyring';
import type { Logger } from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import type { OperatorClients } from './clients.ts';
import type { OperatorConfig } from './config.ts';
import { tenantKeyDestructionHolds } from './tenant/tenant-legal-holds.ts';

export async function openOperatorKeyring(
  config: OperatorConfig,
  clients: Pick<OperatorClients, 'mongo' | 'keyEncryptionKeys'>,
  logger: Logger,
): Promise<Keyring> {
  const masterKeys = await loadConfiguredMasterKeys(config);
  const mongo = clients.mongo.client;
  const keyring = createKeyring({
    db: mongo.db(PLATFORM_DATABASE),
    // KEK_MONGO_URL's server, or beside parley_platform (connected with the other clients).
    keyEncryptionKeys: clients.keyEncryptionKeys.store,
    masterKeys,
    logger,
    cacheTtlMs: config.KEY_CACHE_TTL_MS,
    source: 'operator',
    destructionHolds: tenantKeyDestructionHolds(mongo),
  });
  await keyring.ensureIndexes();
  return keyring;
}
