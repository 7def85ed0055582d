/**
 * For the compliance service's integration tests: the real service graph (createComponents, as
 * main.ts builds it) over the real Mongo-wire server, Redis and a real keyring, with a tenant
 * registry, a participant registry and a signing key of the test's own, so concurrent runs and
 * teammates' data never meet. No broker: tests that need consumers make them.
 */
import { randomUUID } from 'node:crypto';
import { generateSigningKeyPem, signingKeyFromPem } from '@parley/audit-chain';
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import type { ServiceApp } from '@parley/kit';
import { connectRedis, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import {
  mongoDatabaseName,
  s3BucketName,
  TENANT_REGISTRY_COLLECTION,
  type TenantStatus,
  tenantRuntimeKey,
  writeTenantRuntimeRecord,
} from '@parley/tenancy';
import type { Client as S3Client } from 'minio';
import { buildApp } from '../app.ts';
import { type ComplianceComponents, createComponents } from '../components.ts';
import { complianceSettingsSchema } from '../settings.ts';

export const TEST_TOKEN = 'compliance-test-token-0123456789';

export async function openComplianceFixture() {
  const fx: KeyringFixture = await openKeyringFixture();
  const client = fx.mongo.client;
  const logger = createSilentLogger();
  const keyring = fx.keyring();
  const signingKey = signingKeyFromPem(generateSigningKeyPem());
  const settings = {
    ...loadConfig(complianceSettingsSchema),
    // Checkpoints after a few records, and forced ones a short while apart, so tests see them.
    CHECKPOINT_EVERY_RECORDS: 5,
    CHECKPOINT_EVERY_MS: 60_000,
    CHECKPOINT_FORCED_INTERVAL_MS: FORCED_CHECKPOINT_INTERVAL_MS,
    RETENTION_BATCH_SIZE: 50,
    RETENTION_PAUSE_MS: 0,
  };
  const participantsDb = `parley_cmp_test_${randomUUID().slice(0, 8)}`;
  // The tenant gate reads the runtime records the operator writes in the real Redis; tenants of
  // this run get one and lose it at close.
  const redis = await connectRedis(settings.REDIS_URL, logger);
  // The keyring fixture's database stands for parley_platform: tenant keys and the tenant registry.
  const components: ComplianceComponents = await createComponents(
    settings,
    { logger, mongo: fx.mongo, redis, masterKeys: fx.masterKeys, signingKey, keyring, platformDb: fx.db },
    { callers: TEST_TOKEN, participantsDb, tenantStatusCacheMs: 0 },
  );
  const { auditLogs, sealer, gdpr, holds, participants, s3 } = components;
  /** Another app over the same components, or with some replaced (a restarted audit log). */
  const newApp = (overrides: Partial<ComplianceComponents> = {}): ServiceApp =>
    buildApp({ ...components, ...overrides });
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
    components,
    /**
     * A tenant of this run only (a DNS label), provisioned as the operator would: registry entry
     * (in the run's own platform database), runtime record, and its bucket (where checkpoints are
     * published).
     */
    async tenant(status: TenantStatus = 'Ready'): Promise<string> {
      const tenant = `cmp-${randomUUID().slice(0, 8)}`;
      tenants.push(tenant);
      await fx.db
        .collection<{ _id: string; status: TenantStatus }>(TENANT_REGISTRY_COLLECTION)
        .insertOne({ _id: tenant, status });
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
