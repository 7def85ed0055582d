/** The auth service's process: config, connections, components, app, relay, sweeper, GDPR participant, signals. Nothing else. */

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
import { createAuthComponents } from './components.ts';
import { createGdprParticipation, GdprParticipation } from './gdpr-participation.ts';
import { createOutboxRelay, provisionedTenants } from './outbox-relay.ts';
import { AUTH_REDIS_OPTIONS, authSettingsSchema, policyFrom } from './settings.ts';
import { SignUpSweeper } from './sign-up-sweeper.ts';

const config = loadConfigOrExit(authSettingsSchema);
const logger = createLogger({ service: 'auth', level: config.LOG_LEVEL });

const mongo = await connectMongo(config.MONGO_URL, logger);
const redis = await connectRedis(config.REDIS_URL, logger, AUTH_REDIS_OPTIONS);
const kafka = await connectKafka(kafkaSettingsFromConfig(config, 'auth'), logger);
const masterKeys = await loadConfiguredMasterKeys(config);
// The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally.
const keks = await connectKeyEncryptionKeys(config, mongo.client.db(PLATFORM_DATABASE), logger);
const keyring = createKeyring({
  db: mongo.client.db(PLATFORM_DATABASE),
  keyEncryptionKeys: keks.store,
  masterKeys,
  logger,
  cacheTtlMs: config.KEY_CACHE_TTL_MS,
  source: 'auth',
});
await keyring.ensureIndexes();

const components = await createAuthComponents({
  mongo: mongo.client,
  redis: redis.client,
  keyring,
  policy: policyFrom(config),
  logger,
});
await components.authClient.start();
const relay = createOutboxRelay({
  producer: kafka.producer,
  store: components.store,
  redis: redis.client,
  logger,
  intervalMs: config.OUTBOX_INTERVAL_MS,
});
relay.start();
// Expired open sign-up requests (password hashes of links never followed) are purged.
const sweeper = new SignUpSweeper({
  store: components.store,
  shredder: keyring,
  tenants: () => provisionedTenants(components.store, redis.client),
  intervalMs: config.SIGN_UP_SWEEP_INTERVAL_MS,
  logger,
});
sweeper.start();
// Registers with the compliance service, then answers export and erasure requests on every
// tenant's gdpr topic (consumer group auth.gdpr).
const gdpr = new GdprParticipation(
  createGdprParticipation({
    components,
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
  stoppables: [gdpr, sweeper, relay, components.authClient, kafka, redis, keks, mongo],
});
