/**
 * For integration tests: the messaging service assembled by createComponents, as main.ts does,
 * over the real local stack (Mongo-wire, Redis from the env the global setup exports; no broker,
 * so no workers: a test that needs events runs its own relay), a tenant unique to the run with its
 * tenant key, registry entry and runtime record, a keyring under a fresh master key in a platform
 * database of the run's own, and everything the run made removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { ACTING_ROLES_HEADER, ACTING_USER_HEADER } from '@parley/contracts';
import { createKeyring, type Keyring, MasterKeyring } from '@parley/keyring';
import {
  connectMongo,
  connectRedis,
  createLogger,
  loadConfig,
  type MongoConnection,
  type RedisConnection,
  type ServiceApp,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import {
  mongoDatabaseName,
  redisKeyPrefix,
  TENANT_REGISTRY_COLLECTION,
  type TenantStatus,
  writeTenantRuntimeRecord,
} from '@parley/tenancy';
import type { LightMyRequestResponse } from 'fastify';
import type { Db } from 'mongodb';
import { buildApp } from '../app.ts';
import { createComponents, type MessagingComponents, type MessagingOverrides } from '../components.ts';
import type { AttachmentBinder } from '../domain/attachment-binder.ts';
import type { OutboxRelayLike } from '../domain/outbox-publisher.ts';
import { messagingSettingsSchema } from '../settings.ts';

export const SERVICE_TOKEN = 'test-messaging-service-token-0123456789';

export interface MessagingFixture {
  app: ServiceApp;
  components: MessagingComponents;
  mongo: MongoConnection;
  redis: RedisConnection;
  keyring: Keyring;
  platformDb: Db;
  tenant: string;
  /** The tenant's own database (to read documents as stored). */
  db: Db;
  /** The same service assembled again over the fixture's stores and keyring (other callers, fresh caches). */
  newComponents(overrides?: MessagingOverrides): Promise<MessagingComponents>;
  newApp(overrides?: MessagingOverrides): Promise<ServiceApp>;
  /** A request as `userId` (with `roles`) through the service credential, by inject. */
  call(
    userId: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    payload?: object,
    options?: { roles?: string[]; tenant?: string },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function uniqueTenant(label = 'm'): string {
  return `${label}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function openMessagingFixture(
  options: {
    seqVoidAfterMs?: number;
    publisher?: OutboxRelayLike;
    tenant?: string;
    /** The media service's binder (tests of attachments); otherwise the default one (MEDIA_URL). */
    attachments?: AttachmentBinder;
    /** KEY_CACHE_TTL_MS of the service and of the fixture's keyring (default: the setting's). */
    keyCacheTtlMs?: number;
  } = {},
): Promise<MessagingFixture> {
  const loaded = loadConfig(messagingSettingsSchema);
  const settings = {
    ...loaded,
    SEQ_VOID_AFTER_MS: options.seqVoidAfterMs ?? 10_000,
    KEY_CACHE_TTL_MS: options.keyCacheTtlMs ?? loaded.KEY_CACHE_TTL_MS,
  };
  const logger = process.env.MESSAGING_TEST_LOG
    ? createLogger({ service: 'messaging', level: 'error' })
    : createSilentLogger('messaging');
  const mongo = await connectMongo(settings.MONGO_URL, logger);
  const redis = await connectRedis(settings.REDIS_URL, logger);
  const tenant = options.tenant ?? uniqueTenant();
  const platformDb = mongo.client.db(`messaging_test_${tenant}`);
  const keyring = createKeyring({
    db: platformDb,
    masterKeys: MasterKeyring.fromKeys([{ id: 'messaging-test', key: randomBytes(32) }]),
    logger,
    source: 'messaging-test',
    cacheTtlMs: settings.KEY_CACHE_TTL_MS,
  });
  await keyring.ensureIndexes();
  await keyring.ensureTenantKey(tenant);
  const newComponents = (overrides: MessagingOverrides = {}) =>
    createComponents(
      settings,
      { logger, mongo, redis, keyring, platformDb },
      { callers: SERVICE_TOKEN, tenantStatusCacheMs: 0, ...overrides },
    );
  const components = await newComponents({
    ...(options.publisher ? { publisher: options.publisher } : {}),
    ...(options.attachments ? { attachments: options.attachments } : {}),
  });
  const app = buildApp(components);
  // What the operator's provisioning writes: the registry entry (in the run's own platform
  // database) and the runtime record: the tenant is Ready.
  await platformDb
    .collection<{ _id: string; status: TenantStatus }>(TENANT_REGISTRY_COLLECTION)
    .updateOne({ _id: tenant }, { $set: { status: 'Ready' } }, { upsert: true });
  await writeTenantRuntimeRecord(redis.client, tenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
    generation: 1,
  });
  return {
    app,
    components,
    mongo,
    redis,
    keyring,
    platformDb,
    tenant,
    db: mongo.client.db(mongoDatabaseName(tenant)),
    newComponents,
    async newApp(overrides) {
      return buildApp(await newComponents(overrides));
    },
    call(userId, method, path, payload, callOptions = {}) {
      return app.inject({
        method,
        url: `/v1/tenants/${callOptions.tenant ?? tenant}${path}`,
        headers: {
          'x-service-token': SERVICE_TOKEN,
          [ACTING_USER_HEADER]: userId,
          [ACTING_ROLES_HEADER]: (callOptions.roles ?? ['member']).join(','),
        },
        ...(payload ? { payload } : {}),
      });
    },
    async close() {
      await app.close();
      await mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
      await platformDb.dropDatabase();
      await mongo.client
        .db(`${platformDb.databaseName}_keks`)
        .dropDatabase()
        .catch(() => {});
      let cursor = '0';
      do {
        const [next, keys] = await redis.client.scan(
          cursor,
          'MATCH',
          `${redisKeyPrefix(tenant)}*`,
          'COUNT',
          500,
        );
        cursor = next;
        if (keys.length > 0) await redis.client.del(...keys);
      } while (cursor !== '0');
      await redis.stop();
      await mongo.stop();
    },
  };
}
