/**
 * For integration tests: the auth service assembled as main.ts does (createComponents), over the
 * real local stack (Mongo-wire, Redis from the env the global setup exports), a tenant unique to
 * the run (in a registry of the run's own), a keyring under a fresh master key, and everything
 * the run made removed afterwards. No broker: tests that need the relay make it
 * (tenantOutboxRelay).
 */
import { randomBytes } from 'node:crypto';
import { type Keyring, MasterKeyring } from '@parley/keyring';
import {
  connectMongo,
  connectRedis,
  createLogger,
  type Logger,
  loadConfig,
  type MongoConnection,
  type RedisConnection,
  type ServiceApp,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import type { OutboxRelay } from '@parley/outbox';
import {
  mongoDatabaseName,
  redisKeyPrefix,
  TENANT_REGISTRY_COLLECTION,
  type TenantStatus,
  writeTenantRuntimeRecord,
} from '@parley/tenancy';
import type { LightMyRequestResponse } from 'fastify';
import type { Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { buildApp } from '../app.ts';
import { type AuthComponents, createComponents } from '../components.ts';
import type { PasswordHasher } from '../domain/password-hasher.ts';
import { AUTH_REDIS_OPTIONS, type AuthPolicy, authSettingsSchema, policyFrom } from '../settings.ts';
import { createOutboxRelay } from '../workers/outbox-relay.ts';

export const SERVICE_TOKEN = 'test-service-token-0123456789';
export const PASSWORD = 'correct horse battery staple';

export interface AuthFixture {
  app: ServiceApp;
  components: AuthComponents;
  mongo: MongoConnection;
  redis: RedisConnection;
  /** The run's own platform database (signing keys, tenant keys). */
  platformDb: Db;
  /** The keyring the service seals with (TOTP secrets, signing keys, audit records' personal fields). */
  keyring: Keyring;
  tenant: string;
  policy: AuthPolicy;
  /** Invites (through the operator's endpoint), accepts, and returns the new user's id. */
  register(email: string, roles?: string[], password?: string): Promise<string>;
  login(email: string, password?: string): Promise<Record<string, unknown>>;
  /** A POST with a bearer token (and a JSON body when given), through inject. */
  post(url: string, token: unknown, payload?: object): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function uniqueTenant(label = 't'): string {
  return `${label}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function openAuthFixture(
  overrides: Partial<AuthPolicy> = {},
  /** `tenant`: one another component of the test already provisioned (e.g. a compliance fixture's). */
  options: {
    logger?: Logger;
    tenant?: string;
    /** Replaces the hasher made from the policy (a test that counts verifications). */
    hasher?: (policy: AuthPolicy) => PasswordHasher;
  } = {},
): Promise<AuthFixture> {
  const config = loadConfig(authSettingsSchema);
  const policy = { ...policyFrom(config), ...overrides };
  const logger =
    options.logger ??
    (process.env.AUTH_TEST_LOG
      ? createLogger({ service: 'auth', level: 'error' })
      : createSilentLogger('auth'));
  const mongo = await connectMongo(config.MONGO_URL, logger);
  const redis = await connectRedis(config.REDIS_URL, logger, AUTH_REDIS_OPTIONS);
  const tenant = options.tenant ?? uniqueTenant();
  // A platform database of the run's own (keys, signing keys, the tenant registry), dropped
  // afterwards, as the keyring's own fixture does: the shared parley_platform is left alone.
  const platformDb = mongo.client.db(`auth_test_${tenant}`);
  const components = await createComponents(
    config,
    {
      logger,
      mongo,
      redis,
      masterKeys: MasterKeyring.fromKeys([{ id: 'auth-test', key: randomBytes(32) }]),
      platformDb,
    },
    {
      policy,
      callers: SERVICE_TOKEN,
      ...(options.hasher ? { hasher: options.hasher(policy) } : {}),
    },
  );
  const { keyring } = components;
  await components.authClient.start();
  const app = buildApp(components);
  // What the operator's provisioning writes: the registry entry (in the run's own platform
  // database) and the runtime record, through the same writer: the tenant is Ready.
  await platformDb
    .collection<{ _id: string; status: TenantStatus }>(TENANT_REGISTRY_COLLECTION)
    .updateOne({ _id: tenant }, { $set: { status: 'Ready' } }, { upsert: true });
  await writeTenantRuntimeRecord(redis.client, tenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
    generation: 1,
  });

  const fixture: AuthFixture = {
    app,
    components,
    mongo,
    redis,
    platformDb,
    keyring,
    tenant,
    policy,
    async register(email, roles = ['member'], password = PASSWORD) {
      const invited = await app.inject({
        method: 'POST',
        url: `/v1/internal/tenants/${tenant}/invitations`,
        headers: { 'x-service-token': SERVICE_TOKEN },
        payload: { email, roles },
      });
      if (invited.statusCode !== 201) throw new Error(`invite failed: ${invited.statusCode} ${invited.body}`);
      const accepted = await app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/invitations/accept`,
        payload: { token: invited.json().token, password, displayName: email.split('@')[0] },
      });
      if (accepted.statusCode !== 201)
        throw new Error(`accept failed: ${accepted.statusCode} ${accepted.body}`);
      return accepted.json().id as string;
    },
    async login(email, password = PASSWORD) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/login`,
        payload: { email, password },
      });
      if (response.statusCode !== 200)
        throw new Error(`login failed: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    post(url, token, payload) {
      return app.inject({ method: 'POST', url, headers: bearer(token), ...(payload ? { payload } : {}) });
    },
    async close() {
      await app.close();
      await components.authClient.stop();
      await mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
      await platformDb.dropDatabase();
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
  return fixture;
}

export function bearer(token: unknown): { authorization: string } {
  return { authorization: `Bearer ${String(token)}` };
}

/**
 * The outbox relay as main.ts makes it, polling often and only the fixture's tenant: teammates'
 * test tenants may have no topics on the shared broker. Not started.
 */
export function tenantOutboxRelay(f: AuthFixture, producer: Producer): OutboxRelay {
  return createOutboxRelay({
    producer,
    store: f.components.store,
    logger: createSilentLogger('auth'),
    intervalMs: 100,
    tenants: () => [f.tenant],
  });
}
