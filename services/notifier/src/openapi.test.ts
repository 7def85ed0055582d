/**
 * The notifier's OpenAPI document (/documentation/json) against the app as its fixture builds it:
 * valid 3.1, every route in it with its request and response schemas, and a credential documented
 * exactly where a caller without one is refused (the issue 13 check every service runs).
 */
import { randomBytes } from 'node:crypto';
import { createKeyring, MasterKeyring } from '@parley/keyring';
import {
  connectMongo,
  connectRedis,
  loadConfig,
  type MongoConnection,
  type RedisConnection,
} from '@parley/kit';
import { checkDocumentedSecurity, checkOpenApiCoverage, createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifierSettingsSchema } from './settings.ts';
import { type NotifierFixture, openNotifierFixture } from './testing/notifier-fixture.ts';

const tenant = `no${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const settings = loadConfig(notifierSettingsSchema);
let mongo: MongoConnection;
let redis: RedisConnection;
let notifier: NotifierFixture;

beforeAll(async () => {
  const logger = createSilentLogger();
  mongo = await connectMongo(settings.MONGO_URL, logger);
  redis = await connectRedis(settings.REDIS_URL, logger);
  const keyring = createKeyring({
    db: mongo.client.db(`notifier_test_${tenant}`),
    masterKeys: MasterKeyring.fromKeys([{ id: 'notifier-openapi', key: randomBytes(32) }]),
    logger,
    cacheTtlMs: 0,
    source: 'notifier-openapi-test',
  });
  notifier = await openNotifierFixture({
    tenant,
    keyring,
    mongo,
    redis,
    serviceToken: 'notifier-openapi-token-0123456789',
  });
  await notifier.app.ready();
}, 60_000);

afterAll(async () => {
  await notifier?.close();
  await mongo?.client.db(`notifier_test_${tenant}`).dropDatabase();
  await redis?.stop();
  await mongo?.stop();
});

describe('the notifier OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and documents every route with its request and response schemas', async () => {
    const { findings, operations } = await checkOpenApiCoverage(notifier.app);
    expect(findings).toEqual([]);
    // The mail-admin routes and the 3 probes: the check did not run over nothing.
    expect(operations).toBeGreaterThan(3);
  });

  it('says a credential is needed exactly where a caller without one is refused', async () => {
    const { document } = await checkOpenApiCoverage(notifier.app);
    expect(await checkDocumentedSecurity(notifier.app, document)).toEqual([]);
  });
});
