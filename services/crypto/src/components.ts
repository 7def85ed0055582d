/**
 * The crypto service's object graph, built once from its settings and connections: used by
 * main.ts and by the test fixture (testing/crypto-fixture.ts) alike, so both run the same service.
 */
import {
  type KeyEncryptionKeyConnection,
  type Keyring,
  type MasterKeyring,
  serviceKeyring,
} from '@parley/keyring';
import {
  type KafkaConnection,
  type Logger,
  type MongoConnection,
  readinessOf,
  ServiceCallers,
  type ServiceFoundation,
  worker,
} from '@parley/kit';
import type { Db } from 'mongodb';
import { CallerAccess } from './domain/caller-access.ts';
import { legalHoldsOnKeys } from './domain/key-legal-holds.ts';
import type { CryptoSettings } from './settings.ts';
import { DestructionSweeper } from './workers/destruction-sweeper.ts';
import { keyCacheInvalidation } from './workers/key-cache-invalidation.ts';
import { keyEventsRelay } from './workers/key-events-relay.ts';

export interface CryptoClients {
  logger: Logger;
  mongo: MongoConnection;
  /** Needed unless `keyring` is given. */
  masterKeys?: MasterKeyring;
  /**
   * The broker, for the key-events relay and the key-cache consumer. Tests of the HTTP API alone
   * leave it out, and the service then has no workers that need it.
   */
  kafka?: KafkaConnection;
  /**
   * The key-encryption keys' store (KEK_MONGO_URL, connectKeyEncryptionKeys). Tests leave it
   * out: the keyring then keeps them beside its own database.
   */
  keks?: KeyEncryptionKeyConnection;
  /** Where keys live: parley_platform unless a test gives a database of its own. */
  platformDb?: Db;
  /** A keyring already open (a test serving another service's fixture keys); else one is made here. */
  keyring?: Keyring;
}

export interface CryptoComponents extends ServiceFoundation {
  keyring: Keyring;
  /** What each caller may do: a key purpose only for the services that own it, key management for its admins. */
  access: CallerAccess;
  /** Destroys keys whose waiting period ended (also a worker). */
  destructionSweeper: DestructionSweeper;
}

export async function createComponents(
  settings: CryptoSettings,
  clients: CryptoClients,
  /** Tests of the routes themselves give one unrestricted caller (testing/test-callers.ts). */
  overrides: { callers?: ServiceCallers | string; access?: CallerAccess } = {},
): Promise<CryptoComponents> {
  const { logger, mongo, kafka, keks } = clients;
  // Legal holds (in each tenant's database) refuse crypto-shredding and hold back the sweeper.
  const keyring = await serviceKeyring('crypto', settings, clients, {
    destructionHolds: legalHoldsOnKeys(mongo.client),
  });
  const destructionSweeper = new DestructionSweeper({
    keyring,
    logger,
    intervalMs: settings.DESTRUCTION_SWEEP_INTERVAL_MS,
  });
  return {
    logger,
    callers: overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS),
    access: overrides.access ?? new CallerAccess(),
    readiness: {
      ...readinessOf(mongo, ...(kafka ? [kafka] : [])),
      ...(keks ? { keyEncryptionKeys: keks.ping } : {}),
    },
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    keyring,
    destructionSweeper,
    // Stopped in this order: no sweep mid-way, the cache consumer, then the relay's last flush.
    workers: [
      destructionSweeper,
      ...(kafka
        ? [
            worker('key-cache-invalidation', keyCacheInvalidation({ kafka: kafka.kafka, keyring, logger })),
            worker(
              'key-events-relay',
              keyEventsRelay({
                producer: kafka.producer,
                keyring,
                logger,
                intervalMs: settings.OUTBOX_INTERVAL_MS,
              }),
            ),
          ]
        : []),
    ],
  };
}
