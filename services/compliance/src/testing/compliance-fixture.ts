/**
 * For the compliance service's integration tests: the real service graph (as main.ts builds it)
 * over the real Mongo-wire server and a real keyring, with a tenant, a participant registry and a
 * signing key of the test's own, so concurrent runs and teammates' data never meet.
 */
import { randomUUID } from 'node:crypto';
import { generateSigningKeyPem, signingKeyFromPem } from '@parley/audit-chain';
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import type { ServiceApp } from '@parley/kit';
import { connectRedis, createS3Client, loadConfig, redisSettings, s3Settings, Type } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import {
  mongoDatabaseName,
  s3BucketName,
  type TenantStatus,
  tenantRuntimeKey,
  writeTenantRuntimeRecord,
} from '@parley/tenancy';
import type { Client as S3Client } from 'minio';
import { buildApp, type ComplianceAppDeps } from '../app.ts';
import { AuditLogs } from '../domain/audit-logs.ts';
import { AuditTrail } from '../domain/audit-trail.ts';
import { ComplianceParticipant } from '../domain/compliance-participant.ts';
import { ConsentStore } from '../domain/consents.ts';
import { GdprCoordinator } from '../domain/gdpr-coordinator.ts';
import { KeyringSealer } from '../domain/keyring-sealer.ts';
import { LegalHolds } from '../domain/legal-holds.ts';
import { ParticipantRegistry } from '../domain/participant-registry.ts';
import { RetentionRunner } from '../domain/retention-runner.ts';
import { BucketCheckpoints } from '../store/checkpoint-bucket.ts';
import { TenantGate } from '../store/tenant-gate.ts';

export const TEST_TOKEN = 'compliance-test-token-0123456789';

export async function openComplianceFixture() {
  const fx: KeyringFixture = await openKeyringFixture();
  const client = fx.mongo.client;
  const logger = createSilentLogger();
  const keyring = fx.keyring();
  const signingKey = signingKeyFromPem(generateSigningKeyPem());
  const sealer = new KeyringSealer(keyring);
  const s3 = createS3Client(loadConfig(Type.Object(s3Settings)));
  const auditLogs: AuditLogs = new AuditLogs({
    client,
    signingKey,
    sealer,
    logger,
    checkpointPolicy: { everyRecords: 5, everyMs: 60_000 },
    forcedCheckpointIntervalMs: FORCED_CHECKPOINT_INTERVAL_MS,
    publisher: new BucketCheckpoints(s3, () => auditLogs.keysDocument),
  });
  const trail = new AuditTrail(auditLogs);
  const participantsDb = `parley_cmp_test_${randomUUID().slice(0, 8)}`;
  const participants = new ParticipantRegistry(client, participantsDb);
  const self = new ComplianceParticipant({ client, auditLogs, keyring, sealer, erasureWaitingDays: 7 });
  const gdpr = new GdprCoordinator({ client, trail, participants, self, signingKey, logger });
  const holds = new LegalHolds({ client, keyring, trail, gdpr });
  const consents = new ConsentStore(client, trail);
  const retention = new RetentionRunner({ client, s3, auditLogs, trail, batchSize: 50, pauseMs: 0 });
  // The tenant gate reads the runtime records the operator writes in the real Redis; tenants of
  // this run get one (status Active) and lose it at close.
  const redis = await connectRedis(loadConfig(Type.Object(redisSettings)).REDIS_URL, logger);
  const tenantGate = new TenantGate(redis.client, 0);
  const newApp = (overrides: Partial<ComplianceAppDeps> = {}): ServiceApp =>
    buildApp({
      auditLogs,
      sealer,
      gdpr,
      consents,
      holds,
      participants,
      retention,
      logger,
      tenantGate,
      serviceToken: TEST_TOKEN,
      ...overrides,
    });
  const app = newApp();
  await app.ready();
  const tenants: string[] = [];

  return {
    fx,
    client,
    keyring,
    signingKey,
    sealer,
    auditLogs,
    gdpr,
    holds,
    participants,
    app,
    /** Another app over the same dependencies (to listen on a real port, stop it, start it again). */
    newApp,
    logger,
    participantsDb,
    redis: redis.client,
    s3,
    /**
     * A tenant of this run only (a DNS label), provisioned as the operator would: runtime record,
     * and its bucket (where checkpoints are published).
     */
    async tenant(status: TenantStatus = 'Ready'): Promise<string> {
      const tenant = `cmp-${randomUUID().slice(0, 8)}`;
      tenants.push(tenant);
      await writeTenantRuntimeRecord(redis.client, tenant, {
        status,
        plan: 'team',
        quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
        generation: 1,
      });
      await s3.makeBucket(s3BucketName(tenant));
      return tenant;
    },
    async call(
      method: 'GET' | 'POST' | 'PUT',
      url: string,
      payload?: unknown,
      token: string | null = TEST_TOKEN,
    ) {
      const response = await app.inject({
        method,
        url,
        headers: token ? { 'x-service-token': token } : {},
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
      const isJson = String(response.headers['content-type'] ?? '').includes('json');
      return {
        status: response.statusCode,
        body: isJson ? response.json() : undefined,
        raw: response.rawPayload,
        headers: response.headers,
      };
    },
    async close() {
      await app.close();
      for (const tenant of tenants) {
        await client.db(mongoDatabaseName(tenant)).dropDatabase();
        await redis.client.del(tenantRuntimeKey(tenant));
        await removeBucket(s3, s3BucketName(tenant));
      }
      await redis.stop();
      await client.db(participantsDb).dropDatabase();
      await fx.close();
    },
  };
}

export type ComplianceFixture = Awaited<ReturnType<typeof openComplianceFixture>>;

/** Short, so tests that ask for checkpoints a few seconds apart still get new ones. */
export const FORCED_CHECKPOINT_INTERVAL_MS = 1_500;

/** Empties and removes a bucket; a bucket a test already removed is fine. */
export async function removeBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    const names: string[] = [];
    for await (const item of s3.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
    if (names.length > 0) await s3.removeObjects(bucket, names);
    await s3.removeBucket(bucket);
  } catch (error) {
    if ((error as { code?: string }).code !== 'NoSuchBucket') throw error;
  }
}

export function auditInput(overrides: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    actor: { type: 'user', id: 'u-alice' },
    action: 'auth.security.login-succeeded',
    resource: { type: 'session', id: randomUUID() },
    outcome: 'success',
    metadata: { mfa: true },
    ...overrides,
  };
}
