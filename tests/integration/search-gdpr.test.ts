/**
 * Search as a GDPR participant of the compliance service, over the real broker, Mongo-wire server,
 * Redis and Elasticsearch: an erasure requested at the compliance service removes the person's
 * documents from the tenant's index, keeps those in a conversation under legal hold and everyone
 * else's, and is reported done with its count; a hold on the person reports it blocked and
 * removes nothing.
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
  SERVICE_TOKEN as MESSAGING_TOKEN,
  type MessagingFixture,
  openMessagingFixture,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { OutboxRelay } from '@parley/outbox';
import { LegalHoldStore } from '@parley/retention';
import { openSearchFixture, type SearchFixture } from '@parley/search-service/testing';
import { createGdprParticipation } from '@parley/search-service/workers/gdpr-participation';
import { kafkaTopic, mongoDatabaseName, searchIndexName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let compliance: ComplianceFixture;
let messaging: MessagingFixture;
let search: SearchFixture;
let kafka: KafkaConnection;
let tenant: string;
let client: GdprClient;
const stoppers: (() => Promise<void>)[] = [];

const onlyTopic = (t: string) => new RegExp(`^${kafkaTopic(t, 'gdpr').replaceAll('.', '\\.')}$`);
let seq = 0;

/** A document as the consumer writes it (the index and its writes are search's own). */
async function indexed(senderId: string, conversationId: string): Promise<string> {
  const messageId = `m_${randomUUID()}`;
  await search.components.index.apply(
    [
      {
        kind: 'upsert',
        tenant,
        document: {
          messageId,
          conversationId,
          senderId,
          text: `a message of ${senderId}`,
          createdAt: new Date().toISOString(),
          changeSeq: ++seq,
          deleted: false,
          hasAttachment: false,
        },
      },
    ],
    { refresh: true },
  );
  return messageId;
}

async function present(messageId: string): Promise<boolean> {
  const { body } = await search.components.es.exists({ index: searchIndexName(tenant), id: messageId });
  return body as unknown as boolean;
}

beforeAll(async () => {
  compliance = await openComplianceFixture();
  tenant = await compliance.tenant();
  messaging = await openMessagingFixture({ tenant });
  const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
  search = await openSearchFixture({
    tenant,
    keyring: messaging.keyring,
    mongo: messaging.mongo,
    redis: messaging.redis,
    messagingUrl,
    serviceToken: MESSAGING_TOKEN,
  });
  const settings = loadConfig(Type.Object(kafkaSettings));
  kafka = await connectKafka(
    {
      brokers: settings.KAFKA_BROKERS,
      username: settings.KAFKA_USERNAME,
      password: settings.KAFKA_PASSWORD,
      clientId: 'search-gdpr-test',
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
  client = new GdprClient({ baseUrl: `http://127.0.0.1:${port}`, serviceToken: TEST_TOKEN });
}, 120_000);

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  await kafka?.admin
    .deleteTopics({ topics: [kafkaTopic(tenant, 'gdpr'), kafkaTopic(tenant, 'audit')] })
    .catch(() => {});
  await kafka?.stop();
  await search?.close();
  await messaging?.close().catch(() => {});
  await compliance?.client
    .db(compliance.participantsDb)
    .collection('gdpr_participants')
    .deleteMany({})
    .catch(() => {});
  await compliance?.close();
}, 60_000);

const job = (id: string) => compliance.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${id}`);
const settled = (id: string) =>
  eventually(
    () => job(id),
    (r) => r.body.status !== 'in-progress',
    { timeoutMs: 45_000 },
  );

describe('search as a GDPR participant', () => {
  it('registers for erasures, removes the person’s documents, keeps a held conversation’s and others’', async () => {
    const participant = createGdprParticipation({
      index: search.components.index,
      mongo: messaging.mongo.client,
      kafka: kafka.kafka,
      producer: kafka.producer,
      client,
      logger: compliance.logger,
      groupId: `search.gdpr.test-${tenant}`,
      pattern: onlyTopic(tenant),
    });
    await participant.start();
    stoppers.push(() => participant.stop());
    const gone = [await indexed('bob', 'g_open'), await indexed('bob', 'g_open')];
    const heldOne = await indexed('bob', 'g_case');
    const alices = await indexed('alice', 'g_open');
    const holds = new LegalHoldStore(messaging.mongo.client, tenant);
    const hold = await holds.place({
      scope: { kind: 'conversation', conversationId: 'g_case' },
      reason: 'case 9',
      setBy: 'officer',
    });
    try {
      const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
        userId: 'bob',
        requestedBy: 'dpo@example.com',
      });
      expect(requested.status).toBe(202);
      expect(Object.keys(requested.body.participants)).toContain('search');
      const done = await settled(requested.body.id);
      expect(done.body.participants.search).toMatchObject({
        status: 'done',
        counts: { documentsRemoved: 2 },
      });
      for (const id of gone) expect(await present(id)).toBe(false);
      expect(await present(heldOne)).toBe(true);
      expect(await present(alices)).toBe(true);
    } finally {
      await holds.lift(hold.id, { liftedBy: 'officer', reason: 'case closed' });
    }

    // A hold on the person: blocked, nothing removed.
    const carols = await indexed('carol', 'g_open');
    const personHold = await holds.place({
      scope: { kind: 'person', userId: 'carol' },
      reason: 'case 10',
      setBy: 'officer',
    });
    try {
      const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
        userId: 'carol',
        requestedBy: 'dpo@example.com',
      });
      const blocked = await settled(requested.body.id);
      expect(blocked.body.status).toBe('blocked');
      expect(await present(carols)).toBe(true);
    } finally {
      await holds.lift(personHold.id, { liftedBy: 'officer', reason: 'case closed' });
    }
  }, 120_000);
});
