/**
 * The compliance service's object graph, built once from its settings and connections: used by
 * main.ts and by the test fixture (testing/compliance-fixture.ts) alike, so both run the same
 * service. Tenants for the work over every tenant come from the operator's registry
 * (TenantDirectory), never from the list of databases.
 */
import type { KeyObject } from 'node:crypto';
import type { PersonalDataSealer, SigningKey } from '@parley/audit-chain';
import {
  type KeyEncryptionKeyConnection,
  type Keyring,
  type MasterKeyring,
  serviceKeyring,
} from '@parley/keyring';
import {
  createS3Client,
  type KafkaConnection,
  type Logger,
  type MongoConnection,
  type RedisConnection,
  readinessOf,
  ServiceCallers,
  type ServiceFoundation,
  type TenantGate,
  type Worker,
  worker,
} from '@parley/kit';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, PLATFORM_DATABASE, TenantDirectory } from '@parley/tenancy';
import type { Client as S3Client } from 'minio';
import type { Db } from 'mongodb';
import { AuditLogs } from './domain/audit-logs.ts';
import { AuditTrail } from './domain/audit-trail.ts';
import { ComplianceParticipant } from './domain/compliance-participant.ts';
import { ConsentStore } from './domain/consents.ts';
import { GdprCoordinator } from './domain/gdpr-coordinator.ts';
import { KeyringSealer } from './domain/keyring-sealer.ts';
import { LegalHolds } from './domain/legal-holds.ts';
import { ParticipantRegistry } from './domain/participant-registry.ts';
import { RetentionRunner } from './domain/retention-runner.ts';
import type { RouteDeps } from './routes/route-context.ts';
import type { ComplianceSettings } from './settings.ts';
import { BucketCheckpoints } from './store/checkpoint-bucket.ts';
import { GDPR_OUTBOX_COLLECTIONS } from './store/gdpr-collections.ts';
import { tenantCollections } from './store/tenant-collections.ts';
import { complianceTenantGate } from './store/tenant-gate.ts';
import { createAuditIngestConsumer } from './workers/audit-ingest-consumer.ts';
import { AuditTrailSweeper } from './workers/audit-trail-sweeper.ts';
import { ExportExpiry } from './workers/export-expiry.ts';
import { createGdprReportConsumer } from './workers/gdpr-report-consumer.ts';
import { HoldGuard } from './workers/hold-guard.ts';

export interface ComplianceClients {
  logger: Logger;
  mongo: MongoConnection;
  redis: RedisConnection;
  /**
   * The broker, for the audit ingestion and GDPR report consumers and the GDPR outbox relay.
   * Tests of the HTTP API alone leave it out, and the service then has no workers that need it.
   */
  kafka?: KafkaConnection;
  masterKeys: MasterKeyring;
  /** The key-encryption keys' store (KEK_MONGO_URL); tests leave it out (kept beside the keys). */
  keks?: KeyEncryptionKeyConnection;
  /** Signs checkpoints and export receipts (a mounted file in production, see signing-key-file.ts). */
  signingKey: SigningKey;
  /** Keys that signed before a rotation, still trusted for old checkpoints. */
  previousKeys?: { keyId: string; publicKey: KeyObject }[];
  /** Tenant keys and the tenant registry: parley_platform unless a test gives a database of its own. */
  platformDb?: Db;
  /** Tests: the keyring of a keyring fixture (its own database and master key). */
  keyring?: Keyring;
}

export interface ComplianceComponents extends ServiceFoundation, RouteDeps {
  keyring: Keyring;
  tenantGate: TenantGate;
  s3: S3Client;
  trail: AuditTrail;
  /** Which tenants exist (the operator's registry), for the work over every tenant. */
  tenants: TenantDirectory;
  /** The workers by name, for tests that drive one pass (also in `workers`). */
  auditSweeper: AuditTrailSweeper;
  holdGuard: HoldGuard;
  exportExpiry: ExportExpiry;
}

export interface ComplianceOverrides {
  callers?: ServiceCallers | string;
  /** Where participants register (a test's own database name). */
  participantsDb?: string;
  /** How long a tenant's status is remembered; 0 in tests that flip it. */
  tenantStatusCacheMs?: number;
}

export async function createComponents(
  settings: ComplianceSettings,
  clients: ComplianceClients,
  overrides: ComplianceOverrides = {},
): Promise<ComplianceComponents> {
  const { logger, mongo, redis, kafka, signingKey } = clients;
  const client = mongo.client;
  const platformDb = clients.platformDb ?? client.db(PLATFORM_DATABASE);
  const keyring = await serviceKeyring('compliance', settings, { ...clients, platformDb });
  const sealer: PersonalDataSealer = new KeyringSealer(keyring);
  const s3 = createS3Client(settings);
  const auditLogs: AuditLogs = new AuditLogs({
    client,
    signingKey,
    previousKeys: clients.previousKeys ?? [],
    sealer,
    logger,
    checkpointPolicy: {
      everyRecords: settings.CHECKPOINT_EVERY_RECORDS,
      everyMs: settings.CHECKPOINT_EVERY_MS,
    },
    forcedCheckpointIntervalMs: settings.CHECKPOINT_FORCED_INTERVAL_MS,
    // Each checkpoint goes to the tenant's bucket before it counts, with the keys that verify it.
    publisher: new BucketCheckpoints(s3, () => auditLogs.keysDocument),
  });
  const trail = new AuditTrail(auditLogs);
  const participants = new ParticipantRegistry(
    client,
    ...(overrides.participantsDb ? [overrides.participantsDb] : []),
  );
  const self = new ComplianceParticipant({
    client,
    auditLogs,
    keyring,
    sealer,
    erasureWaitingDays: settings.ERASURE_KEY_WAITING_DAYS,
  });
  const gdpr = new GdprCoordinator({ client, trail, participants, self, signingKey, logger });
  const holds = new LegalHolds({ client, keyring, trail, gdpr });
  const consents = new ConsentStore(client, trail);
  const retention = new RetentionRunner({
    client,
    s3,
    auditLogs,
    trail,
    batchSize: settings.RETENTION_BATCH_SIZE,
    pauseMs: settings.RETENTION_PAUSE_MS,
  });
  const tenants = new TenantDirectory(platformDb);
  const withData = () => tenants.withData();
  const exportExpiry = new ExportExpiry({
    exportParts: tenantCollections(client, withData, ['gdpr_export_parts']),
    retentionDays: settings.EXPORT_RETENTION_DAYS,
    intervalMs: 3600_000,
    logger,
  });
  const auditSweeper = new AuditTrailSweeper({
    client,
    trail,
    tenants: withData,
    logger,
    intervalMs: settings.AUDIT_SWEEP_INTERVAL_MS,
  });
  const holdGuard = new HoldGuard({ holds, tenants: withData, intervalMs: 3600_000, logger });
  // The last checkpoints are signed on the way down, after the consumers' last appends.
  const checkpointer: Worker = {
    name: auditLogs.name,
    start: () => auditLogs.start(Math.min(settings.CHECKPOINT_EVERY_MS, 15_000)),
    stop: () => auditLogs.stop(),
  };
  const brokerWorkers = (k: KafkaConnection) => ({
    consumers: [
      worker(
        'audit-ingest',
        createAuditIngestConsumer({
          kafka: k.kafka,
          client,
          auditLogs,
          logger,
          batchSize: settings.INGEST_BATCH_SIZE,
          maxWaitMs: settings.INGEST_MAX_WAIT_MS,
          refreshMs: settings.TOPIC_REFRESH_MS,
        }),
      ),
      worker(
        'gdpr-reports',
        createGdprReportConsumer({
          kafka: k.kafka,
          coordinator: gdpr,
          logger,
          refreshMs: settings.TOPIC_REFRESH_MS,
        }),
      ),
    ],
    relay: worker(
      'gdpr-outbox-relay',
      new OutboxRelay({
        producer: k.producer,
        logger,
        // Published for served tenants only: their gdpr topics exist.
        sources: tenantCollections(client, () => tenants.served(), GDPR_OUTBOX_COLLECTIONS),
        topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
        intervalMs: settings.OUTBOX_INTERVAL_MS,
      }),
    ),
  });
  const broker = kafka ? brokerWorkers(kafka) : undefined;
  return {
    logger,
    callers: overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS),
    tenantGate: complianceTenantGate(redis.client, overrides.tenantStatusCacheMs),
    readiness: {
      ...readinessOf(mongo, redis, ...(kafka ? [kafka] : [])),
      ...(clients.keks ? { keyEncryptionKeys: clients.keks.ping } : {}),
    },
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    keyring,
    s3,
    auditLogs,
    sealer,
    trail,
    gdpr,
    consents,
    holds,
    participants,
    retention,
    tenants,
    auditSweeper,
    holdGuard,
    exportExpiry,
    // Stopped in this order: consumers first (their in-flight batches finish and commit), then
    // the sweeps, the last checkpoints, and the relay's last flush.
    workers: [
      ...(broker?.consumers ?? []),
      auditSweeper,
      checkpointer,
      exportExpiry,
      holdGuard,
      ...(broker ? [broker.relay] : []),
    ],
  };
}
