/**
 * Messaging as a GDPR participant of the compliance service, end to end over the real broker and
 * Mongo-wire server: the erasure follows the tenant's own policy (its Tenant's
 * spec.gdpr.erasureMode, as the operator copies it into the registry entry), read at each
 * erasure. A person erased under `anonymise` leaves their messages readable to the others,
 * attributed to `former-member`; after the policy changes to `delete`, the next person's messages
 * are tombstoned. The person's export through compliance shows their messages before, and after
 * none: anonymised, they are no longer theirs; deleted, the tombstone names no one.
 */
import { randomUUID } from 'node:crypto';
import { GdprClient } from '@parley/compliance-client';
import { GDPR_OUTBOX_COLLECTIONS } from '@parley/compliance-service/store/gdpr-collections';
import {
  type ComplianceFixture,
  openComplianceFixture,
  TEST_TOKEN,
} from '@parley/compliance-service/testing';
import { createGdprReportConsumer } from '@parley/compliance-service/workers/gdpr-report-consumer';
import { connectKafka, type KafkaConnection, kafkaSettings, loadConfig, Type } from '@parley/kit';
import { eventually } from '@parley/kit/testing';
import {
  createGdprParticipation,
  tenantErasureMode,
} from '@parley/messaging-service/src/gdpr-participation.ts';
import { type MessagingFixture, openMessagingFixture } from '@parley/messaging-service/testing';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, mongoDatabaseName, TENANT_REGISTRY_COLLECTION } from '@parley/tenancy';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let compliance: ComplianceFixture;
let messaging: MessagingFixture;
let kafka: KafkaConnection;
let tenant: string;
const stoppers: (() => Promise<void>)[] = [];

const onlyTopic = (t: string) => new RegExp(`^${kafkaTopic(t, 'gdpr').replaceAll('.', '\\.')}$`);

beforeAll(async () => {
  compliance = await openComplianceFixture();
  tenant = await compliance.tenant();
  messaging = await openMessagingFixture({ tenant });
  const settings = loadConfig(Type.Object(kafkaSettings));
  kafka = await connectKafka(
    {
      brokers: settings.KAFKA_BROKERS,
      username: settings.KAFKA_USERNAME,
      password: settings.KAFKA_PASSWORD,
      clientId: 'messaging-gdpr-test',
    },
    compliance.logger,
  );
  await kafka.admin.createTopics({
    topics: [kafkaTopic(tenant, 'gdpr'), kafkaTopic(tenant, 'audit')].map((topic) => ({
      topic,
      numPartitions: 1,
    })),
    waitForLeaders: true,
  });
  // The compliance side as its main.ts runs it: the gdpr outbox relay, the report consumer, HTTP.
  const db = compliance.client.db(mongoDatabaseName(tenant));
  const relay = new OutboxRelay({
    producer: kafka.producer,
    logger: compliance.logger,
    sources: async () => GDPR_OUTBOX_COLLECTIONS.map((name) => db.collection(name)),
    topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
    intervalMs: 100,
  });
  relay.start();
  stoppers.push(() => relay.stop());
  const reports = createGdprReportConsumer({
    kafka: kafka.kafka,
    coordinator: compliance.gdpr,
    logger: compliance.logger,
    refreshMs: 60_000,
    groupId: `compliance.gdpr-reports.test-${randomUUID()}`,
    pattern: onlyTopic(tenant),
  });
  await reports.start();
  stoppers.push(() => reports.stop());
  const app = compliance.newApp();
  stoppers.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Messaging's participant as components.ts makes it: the mode from the tenant registry.
  const participant = createGdprParticipation({
    personalData: messaging.components.personalData,
    mongo: messaging.mongo.client,
    modeOf: tenantErasureMode(messaging.components.tenants, 'delete'),
    kafka: kafka.kafka,
    producer: kafka.producer,
    client: new GdprClient({ baseUrl: `http://127.0.0.1:${port}`, serviceToken: TEST_TOKEN }),
    logger: compliance.logger,
    groupId: `messaging.gdpr.test-${tenant}`,
    pattern: onlyTopic(tenant),
  });
  await participant.start();
  stoppers.push(() => participant.stop());
});

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  await kafka?.admin
    .deleteTopics({ topics: [kafkaTopic(tenant, 'gdpr'), kafkaTopic(tenant, 'audit')] })
    .catch(() => {});
  await kafka?.stop();
  await messaging?.close();
  await compliance?.client
    .db(compliance.participantsDb)
    .collection('gdpr_participants')
    .deleteMany({})
    .catch(() => {});
  await compliance?.close();
});

/** What the operator writes into the registry entry from the Tenant's spec.gdpr. */
const setPolicy = (erasureMode: 'delete' | 'anonymise') =>
  messaging.platformDb
    .collection<{ _id: string }>(TENANT_REGISTRY_COLLECTION)
    .updateOne({ _id: tenant }, { $set: { gdpr: { erasureMode } } });

const settled = (id: string) =>
  eventually(
    () => compliance.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${id}`),
    (r) => r.body.status !== 'in-progress',
    { timeoutMs: 45_000 },
  );

async function request(kind: 'exports' | 'erasures', userId: string) {
  const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/${kind}`, {
    userId,
    requestedBy: 'dpo@example.com',
  });
  expect(requested.status).toBe(202);
  const done = await settled(requested.body.id);
  expect(done.body.status).toBe('completed');
  expect(done.body.participants.messaging.status).toBe('done');
  return { id: requested.body.id as string, job: done.body };
}

async function exportedMessages(userId: string): Promise<{ id: string; text?: string; deleted?: boolean }[]> {
  const { id } = await request('exports', userId);
  const archive = unzipSync(
    new Uint8Array((await compliance.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${id}/archive`)).raw),
  );
  return JSON.parse(Buffer.from(archive['messaging.json'] as Uint8Array).toString()).messages;
}

const send = async (user: string, room: string, id: string, text: string) =>
  (
    await messaging.call(user, 'POST', `/conversations/${room}/messages`, { clientMessageId: id, text })
  ).json();

describe("messaging's GDPR erasure follows the tenant's policy", () => {
  it('anonymise, then (policy changed) delete; the export shows the messages before and no content after', async () => {
    const room = (
      await messaging.call('ann', 'POST', '/conversations', {
        kind: 'group',
        name: 'Policy',
        memberIds: ['ivy', 'jon'],
      })
    ).json().id;
    const ivys = await send('ivy', room, 'i1', 'ivy wrote this');
    const jons = await send('jon', room, 'j1', 'jon wrote this');
    expect((await exportedMessages('ivy')).map((m) => m.text)).toEqual(['ivy wrote this']);

    await setPolicy('anonymise');
    const anonymised = await request('erasures', 'ivy');
    expect(anonymised.job.participants.messaging.counts).toMatchObject({
      messagesAnonymised: 1,
      messagesDeleted: 0,
    });
    const kept = (await messaging.call('ann', 'GET', `/conversations/${room}/messages/${ivys.id}`)).json();
    expect(kept).toMatchObject({ senderId: 'former-member', text: 'ivy wrote this' });
    expect(await exportedMessages('ivy')).toEqual([]);

    await setPolicy('delete');
    const deleted = await request('erasures', 'jon');
    expect(deleted.job.participants.messaging.counts).toMatchObject({
      messagesAnonymised: 0,
      messagesDeleted: 1,
    });
    const gone = (await messaging.call('ann', 'GET', `/conversations/${room}/messages/${jons.id}`)).json();
    expect(gone.deleted).toBe(true);
    expect(gone.text).toBeUndefined();
    const stored = await messaging.db.collection('messages').findOne({ _id: jons.id });
    expect(stored?.body).toBeUndefined();
    // What stays is the tombstone (its seq keeps the order): no content, and no longer jon's.
    expect(stored?.senderId).toBe('former-member');
    expect(await exportedMessages('jon')).toEqual([]);
  });
});
