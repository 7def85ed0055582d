/** The messaging service's process: config, connections, components, app, relay, repair, signals. Nothing else. */

import { GdprClient } from '@parley/compliance-client';
import { connectKeyEncryptionKeys, createKeyring, loadConfiguredMasterKeys } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  connectRedis,
  createLogger,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
  ServiceCallers,
} from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import { buildApp } from './app.ts';
import { createMessagingComponents } from './components.ts';
import { immediatePublisher } from './domain/outbox-publisher.ts';
import { createGdprParticipation, GdprParticipation } from './gdpr-participation.ts';
import { messagingSettingsSchema } from './settings.ts';
import { MessagingStore } from './store/collections.ts';
import { TenantGate } from './store/tenant-gate.ts';
import { LogRepair } from './workers/log-repair.ts';
import { createMessagingRelay, provisionedTenants } from './workers/outbox-relay.ts';

const config = loadConfigOrExit(messagingSettingsSchema);
const logger = createLogger({ service: 'messaging', level: config.LOG_LEVEL });

const mongo = await connectMongo(config.MONGO_URL, logger);
const redis = await connectRedis(config.REDIS_URL, logger);
const kafka = await connectKafka(kafkaSettingsFromConfig(config, 'messaging'), logger);
// The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally.
const keks = await connectKeyEncryptionKeys(config, mongo.client.db(PLATFORM_DATABASE), logger);
const keyring = createKeyring({
  db: mongo.client.db(PLATFORM_DATABASE),
  keyEncryptionKeys: keks.store,
  masterKeys: await loadConfiguredMasterKeys(config),
  logger,
  cacheTtlMs: config.KEY_CACHE_TTL_MS,
  source: 'messaging',
});
await keyring.ensureIndexes();

const relay = createMessagingRelay({
  producer: kafka.producer,
  store: new MessagingStore(mongo.client),
  redis: redis.client,
  logger,
  intervalMs: config.OUTBOX_INTERVAL_MS,
});
const components = createMessagingComponents({
  mongo: mongo.client,
  keyring,
  publisher: immediatePublisher(relay),
  seqVoidAfterMs: config.SEQ_VOID_AFTER_MS,
});
const repair = new LogRepair({
  store: components.store,
  applier: components.applier,
  tenants: () => provisionedTenants(mongo.client, redis.client),
  olderThanMs: config.SEQ_VOID_AFTER_MS,
  intervalMs: config.REPAIR_INTERVAL_MS,
  logger,
});
relay.start();
repair.start();
// Registers with the compliance service, then answers export and erasure requests on every
// tenant's gdpr topic (consumer group messaging.gdpr).
const gdpr = new GdprParticipation(
  createGdprParticipation({
    personalData: components.personalData,
    mongo: mongo.client,
    mode: config.GDPR_ERASURE_MODE,
    kafka: kafka.kafka,
    producer: kafka.producer,
    client: new GdprClient({ baseUrl: config.COMPLIANCE_URL, serviceToken: config.SERVICE_TOKEN }),
    logger,
    refreshMs: config.GDPR_TOPIC_REFRESH_MS,
  }),
  logger,
);
gdpr.start();

const app = buildApp({
  logger,
  components,
  tenantGate: new TenantGate(redis.client),
  serviceToken: ServiceCallers.parse(config.SERVICE_TOKENS),
  readiness: { mongodb: mongo.ping, redis: redis.ping, kafka: kafka.ping },
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
});

await runService({
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  // Requests drain first (runService), then GDPR work in flight, the repair pass, the relay's final flush, clients.
  stoppables: [gdpr, repair, relay, kafka, redis, keks, mongo],
});
