// The notifier on the real stack: delivery requests produced to a tenant's notifications topic on
// Kafka, sealed with the tenant's keyring as auth seals them, arrive as mail in the stack's SMTP
// server (Mailpit, read back over its API). Once per event id, never for a delivery that does not
// open, in the tenant's branding, and dead-lettered after the last retry when SMTP is down.
import { randomBytes, randomUUID } from 'node:crypto';
import { createEvent, INVITATION_DELIVERY_PURPOSE, InvitationDeliveryRequested } from '@parley/contracts';
import { createKeyring, type Keyring, MasterKeyring, subjectKeyName } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  connectRedis,
  type KafkaConnection,
  kafkaSettingsFromConfig,
  loadConfig,
  type MongoConnection,
  type RedisConnection,
} from '@parley/kit';
import { createSilentLogger, eventually } from '@parley/kit/testing';
import { kafkaTopic, mongoDatabaseName, writeTenantRuntimeRecord } from '@parley/tenancy';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenOfLink } from './domain/mail-links.ts';
import { notifierSettingsSchema } from './settings.ts';
import { Mailpit } from './testing/mailpit.ts';
import { type NotifierFixture, openNotifierFixture } from './testing/notifier-fixture.ts';

const SERVICE_TOKEN = 'notifier-test-token-0123456789';
const tenant = `n${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const settings = loadConfig(notifierSettingsSchema);
const mailpit = new Mailpit(process.env.MAILPIT_URL ?? 'http://127.0.0.1:18025');
const address = (label: string) => `${label}-${tenant}@example.test`;

let mongo: MongoConnection;
let redis: RedisConnection;
let kafka: KafkaConnection;
let platformDb: Db;
let keyring: Keyring;
let notifier: NotifierFixture;
const topic = kafkaTopic(tenant, 'notifications');

/** An invitation's delivery request, sealed as auth seals it (subject key, bound to its id). */
async function invitationEvent(email: string, options: { boundTo?: string; id?: string } = {}) {
  const invitationId = randomUUID();
  const token = `${invitationId}.${randomBytes(32).toString('base64url')}`;
  const boundTo = options.boundTo ?? invitationId;
  await keyring.ensureTenantKey(tenant, subjectKeyName(boundTo));
  const sealed = await keyring.encrypt(
    tenant,
    INVITATION_DELIVERY_PURPOSE,
    Buffer.from(JSON.stringify({ email, token, roles: ['member'] })),
    { keyName: subjectKeyName(boundTo), aad: Buffer.from(boundTo) },
  );
  const event = createEvent(InvitationDeliveryRequested, {
    tenant,
    source: 'auth',
    ...(options.id ? { id: options.id } : {}),
    payload: {
      invitationId,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      sealedDelivery: Buffer.from(sealed).toString('base64'),
    },
  });
  return { event, token, invitationId };
}

async function produce(...events: object[]) {
  await kafka.producer.send({ topic, messages: events.map((e) => ({ value: JSON.stringify(e) })) });
}

const asAdmin = { 'x-service-token': SERVICE_TOKEN, 'x-parley-user': 'u1', 'x-parley-roles': 'admin' };

beforeAll(async () => {
  const logger = createSilentLogger();
  mongo = await connectMongo(settings.MONGO_URL, logger);
  redis = await connectRedis(settings.REDIS_URL, logger);
  kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'notifier-test'), logger);
  platformDb = mongo.client.db(`notifier_test_${tenant}`);
  keyring = createKeyring({
    db: platformDb,
    masterKeys: MasterKeyring.fromKeys([{ id: 'notifier-test', key: randomBytes(32) }]),
    logger,
    cacheTtlMs: 0,
    source: 'notifier-test',
  });
  await writeTenantRuntimeRecord(redis.client, tenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 10, storageGiB: 1, messagesPerSecond: 10 },
    generation: 1,
  });
  await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  notifier = await openNotifierFixture({ tenant, keyring, mongo, redis, kafka, serviceToken: SERVICE_TOKEN });
}, 120_000);

afterAll(async () => {
  await notifier?.close();
  await kafka?.admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await redis?.client.del(`t:${tenant}:runtime`);
  await mongo?.client.db(mongoDatabaseName(tenant)).dropDatabase();
  await platformDb?.dropDatabase();
  for (const label of ['omar', 'twice', 'stranger', 'greta', 'down']) await mailpit.deleteTo(address(label));
  await kafka?.stop();
  await redis?.stop();
  await mongo?.stop();
});

describe('mail from the notifications topic', () => {
  it('sends an invitation as text and HTML, its link carrying the token, and counts it', async () => {
    const { event, token } = await invitationEvent(address('omar'));
    await produce(event);
    const [mail] = await mailpit.waitForMail(address('omar'));
    expect(mail?.subject).toBe(`You are invited to ${tenant} on Parley`);
    expect(mail?.from).toBe(settings.MAIL_FROM_ADDRESS);
    expect(mail?.messageId).toBe(`${event.id}@parley.localhost`);
    const link = /(http\S+#\/invitation\S+)/.exec(mail?.text ?? '')?.[1] as string;
    expect(tokenOfLink(link)).toBe(token);
    expect(mail?.html).toContain('href="http://127.0.0.1:3000/#/invitation?tenant=');
    const record = await notifier.components.deliveries.get(tenant, event.id);
    expect(record).toMatchObject({ state: 'sent', kind: 'invitation', attempts: 1, outcome: 'sent' });
    // The record keeps no address and no token.
    expect(JSON.stringify(record)).not.toContain(address('omar'));
    expect(JSON.stringify(record)).not.toContain(token.split('.')[1]);
    const metrics = await notifier.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      new RegExp(`parley_notifier_mails_total\\{tenant="${tenant}",kind="invitation",outcome="sent"\\} 1`),
    );
  });

  it('sends one mail for an event delivered twice', async () => {
    const { event } = await invitationEvent(address('twice'));
    await produce(event, event);
    // A later event on the same partition: once its mail is there, both copies were handled.
    const { event: marker } = await invitationEvent(address('greta'));
    await produce(event, marker);
    await mailpit.waitForMail(address('greta'));
    expect(await mailpit.summariesTo(address('twice'))).toHaveLength(1);
  });

  it('sends nothing for a delivery sealed for another request, and records the skip', async () => {
    const { event } = await invitationEvent(address('stranger'), { boundTo: randomUUID() });
    await produce(event);
    const record = await eventually(
      () => notifier.components.deliveries.get(tenant, event.id),
      (r) => r?.state === 'skipped',
    );
    expect(record?.outcome).toBe('unreadable-delivery');
    expect(await mailpit.summariesTo(address('stranger'))).toHaveLength(0);
  });

  it("writes in the tenant's branding, which only its admin sets", async () => {
    const forbidden = await notifier.app.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenant}/mail/branding`,
      headers: { ...asAdmin, 'x-parley-roles': 'member' },
      payload: { name: 'Nope', language: 'fr' },
    });
    expect(forbidden.statusCode).toBe(403);
    const bad = await notifier.app.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenant}/mail/branding`,
      headers: asAdmin,
      payload: { name: 'Acme', language: 'xx' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const set = await notifier.app.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenant}/mail/branding`,
      headers: asAdmin,
      payload: { name: 'Acme GmbH', language: 'de', logoUrl: 'https://cdn.example/acme.png' },
    });
    expect(set.statusCode).toBe(200);
    const { event } = await invitationEvent(address('greta'));
    await produce(event);
    const mails = await mailpit.waitForMail(address('greta'), { count: 2 });
    const german = mails.find((m) => m.subject === 'Einladung zu Acme GmbH auf Parley');
    expect(german?.text).toContain('Einladung annehmen');
    expect(german?.html).toContain('src="https://cdn.example/acme.png"');
  });
});

describe('when the SMTP server does not answer', () => {
  it('retries with backoff, then keeps a dead letter the admin can read', async () => {
    // A port nothing listens on: every attempt is refused at connect, a temporary failure.
    const down = await openNotifierFixture({
      tenant,
      keyring,
      mongo,
      redis,
      serviceToken: SERVICE_TOKEN,
      settings: { SMTP_PORT: 1, MAIL_ATTEMPTS: 3, MAIL_RETRY_INITIAL_MS: 20, MAIL_RETRY_MAX_MS: 50 },
    });
    try {
      const { event } = await invitationEvent(address('down'));
      const started = Date.now();
      const result = await down.components.dispatcher.handle(tenant, event, {
        topic,
        partition: 0,
        offset: '0',
      });
      expect(result).toBe('dead-lettered');
      expect(Date.now() - started).toBeGreaterThanOrEqual(20);
      const listed = await down.app.inject({
        method: 'GET',
        url: `/v1/tenants/${tenant}/mail/dead-letters`,
        headers: asAdmin,
      });
      expect(listed.statusCode).toBe(200);
      expect(listed.json().deadLetters).toContainEqual(
        expect.objectContaining({ eventId: event.id, kind: 'invitation', outcome: 'failed', attempts: 3 }),
      );
      const metrics = await down.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        new RegExp(`parley_notifier_mail_retries_total\\{tenant="${tenant}",kind="invitation"\\} 2`),
      );
      expect(metrics.body).toMatch(
        new RegExp(`parley_notifier_mail_dead_letters_total\\{tenant="${tenant}",kind="invitation"\\} 1`),
      );
      // Handled is handled: the same event again sends nothing more.
      expect(
        await down.components.dispatcher.handle(tenant, event, { topic, partition: 0, offset: '0' }),
      ).toBe('duplicate');
      expect(await mailpit.summariesTo(address('down'))).toHaveLength(0);
      // Another tenant's path never reaches this tenant's dead letters.
      const other = await down.app.inject({
        method: 'GET',
        url: '/v1/tenants/not-served-here/mail/dead-letters',
        headers: asAdmin,
      });
      expect(other.statusCode).toBeGreaterThanOrEqual(400);
    } finally {
      await down.close();
    }
  });
});
