// Security events reach the tenant's audit topic on the real Kafka as audit records
// (audit.record.submitted.v1, the compliance service's contract), through the outbox relay.
import {
  AUDIT_PII_PURPOSE,
  type AuditRecordInput,
  AuditRecordSubmitted,
  type EventEnvelope,
  parseEvent,
} from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import type { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSettingsSchema } from './settings.ts';
import {
  type AuthFixture,
  bearer,
  openAuthFixture,
  PASSWORD,
  tenantOutboxRelay,
} from './testing/auth-fixture.ts';

let f: AuthFixture;
let kafka: KafkaConnection;
let relay: OutboxRelay;
let consumer: Consumer;
const received: unknown[] = [];

beforeAll(async () => {
  f = await openAuthFixture({ refreshReuseGraceSeconds: 0 });
  const config = loadConfig(authSettingsSchema);
  const logger = createSilentLogger();
  kafka = await connectKafka(kafkaSettingsFromConfig(config, 'auth-test'), logger);
  const topic = kafkaTopic(f.tenant, 'audit');
  // An invitation's document also carries its delivery request, bound for the notifications topic.
  await kafka.admin.createTopics({
    topics: [topic, kafkaTopic(f.tenant, 'notifications')].map((name) => ({ topic: name, numPartitions: 1 })),
    waitForLeaders: true,
  });
  relay = tenantOutboxRelay(f, kafka.producer);
  consumer = kafka.kafka.consumer({ groupId: `auth-test.${f.tenant}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push(JSON.parse(message.value?.toString() ?? 'null'));
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await relay?.stop();
  await kafka?.admin
    .deleteTopics({ topics: [kafkaTopic(f.tenant, 'audit'), kafkaTopic(f.tenant, 'notifications')] })
    .catch(() => {});
  await kafka?.stop();
  await f?.close();
});

async function waitFor(action: string, count = 1): Promise<EventEnvelope<AuditRecordInput>[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const matching = received
      .map((value) => parseEvent(AuditRecordSubmitted, value))
      .filter((event) => event.payload.action === action);
    if (matching.length >= count) return matching;
    if (Date.now() > deadline)
      throw new Error(`no ${action} on the audit topic; saw ${received.length} events`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('security events on the audit stream', () => {
  it('carries login, failure, lockout-free reuse and revocation records, with personal data only under personal', async () => {
    const userId = await f.register('mia@example.com');
    await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'mia@example.com', password: 'definitely-wrong' },
      headers: { 'user-agent': 'audit-test' },
    });
    const tokens = await f.login('mia@example.com');
    const rotated = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/token`,
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(rotated.statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const replay = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/token`,
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(replay.statusCode).toBe(401);
    const other = await f.login('mia@example.com');
    await f.app.inject({ method: 'POST', url: '/v1/logout', headers: bearer(other.accessToken) });
    // The relay starts once the actions are done: on the local FerretDB its acknowledgement (an
    // update of the session document) can overwrite a rotation written at the same instant, since
    // FerretDB 1.24 does not isolate concurrent updates of one document (packages/outbox/README).
    // On MongoDB both land; what this test checks is the stream's content.
    relay.start();

    const [failed] = await waitFor('auth.security.login-failed');
    expect(failed).toMatchObject({
      tenant: f.tenant,
      source: 'auth',
      payload: {
        outcome: 'failure',
        actor: { type: 'user', id: userId },
        metadata: { reason: 'bad-password' },
      },
    });
    // Personal fields travel sealed under the person's own key, and open with it.
    const sealed = failed?.payload.personal?.[0];
    expect(sealed).toEqual({ subject: userId, keyName: `subject:${userId}`, ciphertext: expect.any(String) });
    const opened = await f.keyring.decrypt(
      f.tenant,
      AUDIT_PII_PURPOSE,
      Buffer.from((sealed as { ciphertext: string }).ciphertext, 'base64'),
    );
    expect(JSON.parse(opened.toString())).toMatchObject({ userAgent: 'audit-test', ip: '127.0.0.1' });
    const succeeded = await waitFor('auth.security.login-succeeded', 2);
    expect(succeeded[0]?.payload).toMatchObject({ outcome: 'success', resource: { type: 'session' } });
    const [reused] = await waitFor('auth.security.refresh-token-reused');
    expect(reused?.payload.resource).toEqual({ type: 'session', id: tokens.sessionId });
    const revoked = await waitFor('auth.security.session-revoked', 2);
    expect(revoked.map((e) => e.payload.metadata?.reason).sort()).toEqual(['logout', 'refresh-token-reuse']);
    const [invited] = await waitFor('auth.security.user-invited');
    await waitFor('auth.security.user-registered');
    // The invitee's e-mail is about the same data subject as the account it became.
    expect(invited?.payload.personal?.[0]?.subject).toBe(userId);
    // Nothing secret ever reaches the stream, and nothing personal in the clear.
    const everything = JSON.stringify(received);
    expect(everything).not.toContain('mia@example.com');
    expect(everything).not.toContain('127.0.0.1');
    expect(everything).not.toContain('audit-test');
    expect(everything).not.toContain('"fields"');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain('definitely-wrong');
    expect(everything).not.toContain(String(tokens.refreshToken).split('.')[1]);

    // Crypto-shredding the person's key erases their personal fields from every copy on the topic.
    const aboutMia = received
      .map((value) => parseEvent(AuditRecordSubmitted, value))
      .flatMap((event) => event.payload.personal ?? [])
      .filter((entry) => entry.subject === userId) as { ciphertext: string }[];
    expect(aboutMia.length).toBeGreaterThanOrEqual(4);
    await f.keyring.scheduleDestruction(f.tenant, `subject:${userId}`, { waitingDays: 7 });
    await f.keyring.destroyDueKeys(new Date(Date.now() + 8 * 24 * 3600 * 1000));
    for (const entry of aboutMia) {
      await expect(
        f.keyring.decrypt(f.tenant, AUDIT_PII_PURPOSE, Buffer.from(entry.ciphertext, 'base64')),
      ).rejects.toThrow();
    }
  });
});

describe('the relay sources', () => {
  it("are the registered tenants' databases: a database without a registry entry is left alone", async () => {
    const stray = `${f.tenant}-stray`;
    const strayDb = f.mongo.client.db(mongoDatabaseName(stray));
    await strayDb.collection('security_events').insertOne({ _id: 'x', action: 'x', at: new Date() } as never);
    try {
      // The directory main.ts hands the relay and the sweeper (over the fixture's own registry).
      const tenants = await f.components.tenants.served();
      expect(tenants).toContain(f.tenant);
      expect(tenants).not.toContain(stray);
    } finally {
      await strayDb.dropDatabase();
    }
  });
});
