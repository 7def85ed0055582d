/** Reads config, builds the dependencies and the app, listens, drains on shutdown. Nothing else. */
import { connectKeyEncryptionKeys, createKeyring, loadConfiguredMasterKeys } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  createLogger,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
  ServiceCallers,
} from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, PLATFORM_DATABASE } from '@parley/tenancy';
import { buildApp } from './app.ts';
import { keyCacheInvalidation } from './consumers/key-events-consumer.ts';
import { DestructionSweeper } from './domain/destruction-sweeper.ts';
import { legalHoldsOnKeys } from './domain/key-legal-holds.ts';
import { cryptoSettingsSchema } from './settings.ts';

const config = loadConfigOrExit(cryptoSettingsSchema);
const logger = createLogger({ service: 'crypto', level: config.LOG_LEVEL });

const masterKeys = await loadConfiguredMasterKeys(config);
const mongo = await connectMongo(config.MONGO_URL, logger);
const kafka = await connectKafka(kafkaSettingsFromConfig(config, 'crypto'), logger);

// The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally.
const keks = await connectKeyEncryptionKeys(config, mongo.client.db(PLATFORM_DATABASE), logger);
const keyring = createKeyring({
  db: mongo.client.db(PLATFORM_DATABASE),
  keyEncryptionKeys: keks.store,
  masterKeys,
  logger,
  cacheTtlMs: config.KEY_CACHE_TTL_MS,
  source: 'crypto',
  // Legal holds (in each tenant's database) refuse crypto-shredding and hold back the sweeper.
  destructionHolds: legalHoldsOnKeys(mongo.client),
});
await keyring.ensureIndexes();

const relay = new OutboxRelay({
  producer: kafka.producer,
  logger,
  sources: async () => [keyring.outboxSource],
  topicFor: (event) => kafkaTopic(event.tenant, 'keys'),
  intervalMs: config.OUTBOX_INTERVAL_MS,
});
const consumer = keyCacheInvalidation({ kafka: kafka.kafka, keyring, logger });
const sweeper = new DestructionSweeper({ keyring, logger, intervalMs: config.DESTRUCTION_SWEEP_INTERVAL_MS });

const app = buildApp({
  keyring,
  logger,
  callers: ServiceCallers.parse(config.SERVICE_TOKENS),
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
  readiness: { mongodb: mongo.ping, kafka: kafka.ping, keyEncryptionKeys: keks.ping },
});

relay.start();
await consumer.start();
sweeper.start();
logger.info({ masterKeys: masterKeys.toJSON() }, 'crypto: master keys loaded');

await runService({
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  stoppables: [sweeper, consumer, relay, kafka, keks, mongo],
});
