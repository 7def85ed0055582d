/**
 * Legal holds stop crypto-shredding requested straight from the crypto service, end to end on the
 * real Mongo-wire server: holds placed with @parley/retention's store in the tenant's database,
 * read by the service's keyring (legalHoldsOnKeys), over HTTP and through the service's sweeper.
 */
import { CryptoClient, CryptoServiceError } from '@parley/crypto-client';
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import type { ServiceApp } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { LegalHoldStore } from '@parley/retention';
import { mongoDatabaseName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { cryptoComponents } from './testing/crypto-fixture.ts';
import { unrestrictedCaller } from './testing/test-callers.ts';
import type { DestructionSweeper } from './workers/destruction-sweeper.ts';

const TOKEN = 'test-service-token-0123456789';
const DAY_MS = 86_400_000;
let fx: KeyringFixture;
let app: ServiceApp;
let sweeper: DestructionSweeper;
let client: CryptoClient;
const tenants: string[] = [];

beforeAll(async () => {
  fx = await openKeyringFixture();
  // The service's own graph: its keyring consults legal holds, its sweeper is the service's.
  const components = await cryptoComponents(fx, {
    logger: createSilentLogger(),
    ...unrestrictedCaller(TOKEN),
  });
  app = buildApp(components);
  sweeper = components.destructionSweeper;
  // Listening too, so the typed client can be shown the refusal over real HTTP.
  client = new CryptoClient({
    baseUrl: await app.listen({ host: '127.0.0.1', port: 0 }),
    serviceToken: TOKEN,
  });
});
afterAll(async () => {
  await app?.close();
  // The holds live in each tenant's own database.
  for (const tenant of tenants) await fx.mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
  await fx?.close();
});

async function call(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) {
  const response = await app.inject({
    method,
    url,
    headers: { 'x-service-token': TOKEN },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

async function tenantWithKeys(...keyNames: string[]) {
  const tenant = fx.uniqueTenant();
  tenants.push(tenant);
  for (const keyName of keyNames) {
    expect((await call('PUT', `/v1/tenants/${tenant}/keys/${keyName}`)).status).toBe(200);
  }
  return { tenant, holds: new LegalHoldStore(fx.mongo.client, tenant) };
}

const schedule = (tenant: string, keyName: string) =>
  call('PUT', `/v1/tenants/${tenant}/keys/${keyName}/destruction`, { waitingDays: 7 });

describe('crypto service: legal holds', () => {
  it('a hold on a person refuses shredding their key with a legal-hold problem; other keys are not held', async () => {
    const { tenant, holds } = await tenantWithKeys('subject:ada', 'subject:bob', 'default');
    const hold = await holds.place({
      scope: { kind: 'person', userId: 'ada' },
      reason: 'Case 2026-14',
      setBy: 'counsel@acme',
    });

    const refused = await schedule(tenant, 'subject:ada');
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({
      type: 'https://parley.dev/problems/legal-hold',
      title: 'Under legal hold',
      status: 409,
      holds: [{ id: hold.id, reason: 'Case 2026-14' }],
    });
    expect(refused.body.detail).toContain(hold.id);
    expect(JSON.stringify(refused.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect((await call('GET', `/v1/tenants/${tenant}/keys/subject:ada`)).body.state).toBe('enabled');

    expect((await schedule(tenant, 'subject:bob')).body.state).toBe('pending-destruction');
    expect((await schedule(tenant, 'default')).body.state).toBe('pending-destruction');
  });

  it('a tenant-wide hold refuses shredding the tenant key and every person’s key; lifted, shredding is scheduled', async () => {
    const { tenant, holds } = await tenantWithKeys('default', 'subject:ada');
    const hold = await holds.place({
      scope: { kind: 'tenant' },
      reason: 'Regulator inquiry',
      setBy: 'counsel',
    });
    for (const keyName of ['default', 'subject:ada']) {
      const refused = await schedule(tenant, keyName);
      expect(refused.status).toBe(409);
      expect(refused.body.holds).toEqual([{ id: hold.id, reason: 'Regulator inquiry' }]);
    }
    // A conversation hold does not cover keys.
    await holds.lift(hold.id, { liftedBy: 'counsel', reason: 'closed' });
    await holds.place({
      scope: { kind: 'conversation', conversationId: 'c-1' },
      reason: 'x',
      setBy: 'counsel',
    });
    for (const keyName of ['default', 'subject:ada']) {
      const scheduled = await schedule(tenant, keyName);
      expect(scheduled.status).toBe(200);
      expect(scheduled.body.state).toBe('pending-destruction');
    }
  });

  it('a hold placed during the waiting period keeps the key pending through the sweeper; lifted, the sweeper destroys it', async () => {
    const { tenant, holds } = await tenantWithKeys('subject:ada');
    const sealed = await call('POST', `/v1/tenants/${tenant}/encrypt`, {
      purpose: 'audit.pii',
      keyName: 'subject:ada',
      plaintext: Buffer.from('evidence').toString('base64'),
    });
    expect(sealed.status).toBe(200);
    expect((await schedule(tenant, 'subject:ada')).status).toBe(200);
    const hold = await holds.place({
      scope: { kind: 'person', userId: 'ada' },
      reason: 'Preserve for trial',
      setBy: 'counsel',
    });

    const afterWaiting = new Date(Date.now() + 8 * DAY_MS);
    await sweeper.sweep(afterWaiting);
    const pending = await call('GET', `/v1/tenants/${tenant}/keys/subject:ada`);
    expect(pending.body).toMatchObject({ state: 'pending-destruction', destroyAt: expect.any(String) });
    expect(pending.body.versions.every((v: { available: boolean }) => v.available)).toBe(true);

    await holds.lift(hold.id, { liftedBy: 'counsel', reason: 'trial over' });
    await sweeper.sweep(afterWaiting);
    const destroyed = await call('GET', `/v1/tenants/${tenant}/keys/subject:ada`);
    expect(destroyed.body.state).toBe('destroyed');
    const unreadable = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'audit.pii',
      ciphertext: sealed.body.ciphertext,
    });
    expect(unreadable.status).toBe(410);
    expect(unreadable.body.type).toBe('https://parley.dev/problems/key-destroyed');
  });

  it('crypto-client surfaces the refusal as a legal-hold CryptoServiceError with the holds, not retried', async () => {
    const { tenant, holds } = await tenantWithKeys('subject:ada');
    const hold = await holds.place({
      scope: { kind: 'person', userId: 'ada' },
      reason: 'Case 7',
      setBy: 'counsel',
    });
    const error = await client.scheduleDestruction(tenant, 'subject:ada', 7).catch((e) => e);
    expect(error).toBeInstanceOf(CryptoServiceError);
    expect(error).toMatchObject({ status: 409, code: 'legal-hold', transient: false });
    expect(error.problem.holds).toEqual([{ id: hold.id, reason: 'Case 7' }]);
  });
});
