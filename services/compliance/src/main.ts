/** Reads config, builds the dependencies and the app, listens, drains on shutdown. Nothing else. */
import { connectKeyEncryptionKeys, createKeyring, loadConfiguredMasterKeys } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  connectRedis,
  createLogger,
  createS3Client,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
  ServiceCallers,
} from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, PLATFORM_DATABASE } from '@parley/tenancy';
import { buildApp } from './app.ts';
import { createAuditIngestConsumer } from './consumers/audit-ingest-consumer.ts';
import { createGdprReportConsumer } from './consumers/gdpr-report-consumer.ts';
import { AuditLogs } from './domain/audit-logs.ts';
import { AuditTrail } from './domain/audit-trail.ts';
import { AuditTrailSweeper } from './domain/audit-trail-sweeper.ts';
import { ComplianceParticipant } from './domain/compliance-participant.ts';
import { ConsentStore } from './domain/consents.ts';
import { ExportExpiry } from './domain/export-expiry.ts';
import { GdprCoordinator } from './domain/gdpr-coordinator.ts';
import { HoldGuard } from './domain/hold-guard.ts';
import { KeyringSealer } from './domain/keyring-sealer.ts';
import { LegalHolds } from './domain/legal-holds.ts';
import { ParticipantRegistry } from './domain/participant-registry.ts';
import { RetentionRunner } from './domain/retention-runner.ts';
import { loadPreviousPublicKeys, loadSigningKey } from './domain/signing-key-file.ts';
import { tenantCollections, tenantIds } from './domain/tenant-databases.ts';
import { complianceSettingsSchema } from './settings.ts';
import { BucketCheckpoints } from './store/checkpoint-bucket.ts';
import { GDPR_OUTBOX_COLLECTIONS } from './store/gdpr-collections.ts';
import { TenantGate } from './store/tenant-gate.ts';

const config = loadConfigOrExit(complianceSettingsSchema);
const logger = createLogger({ service: 'compliance', level: config.LOG_LEVEL });

const masterKeys = await loadConfiguredMasterKeys(config);
const signingKey = await loadSigningKey(
  config.AUDIT_SIGNING_KEY_PATH,
  config.AUDIT_SIGNING_KEY_CREATE_IF_MISSING,
);
const previousKeys = await loadPreviousPublicKeys(config.AUDIT_PREVIOUS_KEYS_PATH);
const mongo = await connectMongo(config.MONGO_URL, logger);
const redis = await connectRedis(config.REDIS_URL, logger);
const kafka = await connectKafka(kafkaSettingsFromConfig(config, 'compliance'), logger);

// The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally.
const keks = await connectKeyEncryptionKeys(config, mongo.client.db(PLATFORM_DATABASE), logger);
const keyring = createKeyring({
  db: mongo.client.db(PLATFORM_DATABASE),
  keyEncryptionKeys: keks.store,
  masterKeys,
  logger,
  cacheTtlMs: config.KEY_CACHE_TTL_MS,
  source: 'compliance',
});
await keyring.ensureIndexes();
const sealer = new KeyringSealer(keyring);
const s3 = createS3Client(config);
const auditLogs: AuditLogs = new AuditLogs({
  client: mongo.client,
  signingKey,
  previousKeys,
  sealer,
  logger,
  checkpointPolicy: { everyRecords: config.CHECKPOINT_EVERY_RECORDS, everyMs: config.CHECKPOINT_EVERY_MS },
  forcedCheckpointIntervalMs: config.CHECKPOINT_FORCED_INTERVAL_MS,
  // Each checkpoint goes to the tenant's bucket before it counts, with the keys that verify it.
  publisher: new BucketCheckpoints(s3, () => auditLogs.keysDocument),
});
const trail = new AuditTrail(auditLogs);
const participants = new ParticipantRegistry(mongo.client);
const self = new ComplianceParticipant({
  client: mongo.client,
  auditLogs,
  keyring,
  sealer,
  erasureWaitingDays: config.ERASURE_KEY_WAITING_DAYS,
});
const gdpr = new GdprCoordinator({ client: mongo.client, trail, participants, self, signingKey, logger });
const holds = new LegalHolds({ client: mongo.client, keyring, trail, gdpr });
const consents = new ConsentStore(mongo.client, trail);
const retention = new RetentionRunner({
  client: mongo.client,
  s3,
  auditLogs,
  trail,
  batchSize: config.RETENTION_BATCH_SIZE,
  pauseMs: config.RETENTION_PAUSE_MS,
});

const relay = new OutboxRelay({
  producer: kafka.producer,
  logger,
  sources: tenantCollections(mongo.client, GDPR_OUTBOX_COLLECTIONS),
  topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
  intervalMs: config.OUTBOX_INTERVAL_MS,
});
const ingest = createAuditIngestConsumer({
  kafka: kafka.kafka,
  client: mongo.client,
  auditLogs,
  logger,
  batchSize: config.INGEST_BATCH_SIZE,
  maxWaitMs: config.INGEST_MAX_WAIT_MS,
  refreshMs: config.TOPIC_REFRESH_MS,
});
const reports = createGdprReportConsumer({
  kafka: kafka.kafka,
  coordinator: gdpr,
  logger,
  refreshMs: config.TOPIC_REFRESH_MS,
});

const app = buildApp({
  auditLogs,
  sealer,
  gdpr,
  consents,
  holds,
  participants,
  retention,
  logger,
  tenantGate: new TenantGate(redis.client),
  serviceToken: ServiceCallers.parse(config.SERVICE_TOKENS),
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
  readiness: { mongodb: mongo.ping, redis: redis.ping, kafka: kafka.ping },
});

const exportExpiry = new ExportExpiry({
  exportParts: tenantCollections(mongo.client, ['gdpr_export_parts']),
  retentionDays: config.EXPORT_RETENTION_DAYS,
  intervalMs: 3600_000,
  logger,
});

const auditSweeper = new AuditTrailSweeper({
  client: mongo.client,
  trail,
  tenants: tenantIds(mongo.client),
  logger,
  intervalMs: config.AUDIT_SWEEP_INTERVAL_MS,
});

const holdGuard = new HoldGuard({ holds, tenants: tenantIds(mongo.client), intervalMs: 3600_000, logger });

relay.start();
auditSweeper.start();
exportExpiry.start();
holdGuard.start();
await ingest.start();
await reports.start();
auditLogs.start(Math.min(config.CHECKPOINT_EVERY_MS, 15_000));
logger.info(
  { signingKeyId: signingKey.keyId, previousKeyIds: previousKeys.map((k) => k.keyId) },
  'compliance: audit signing keys loaded',
);

await runService({
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  // Consumers first (their in-flight batches finish and commit), then the last checkpoints, the relay, clients.
  stoppables: [
    ingest,
    reports,
    auditSweeper,
    auditLogs,
    exportExpiry,
    holdGuard,
    relay,
    kafka,
    redis,
    keks,
    mongo,
  ],
});
