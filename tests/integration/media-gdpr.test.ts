/**
 * Media as a GDPR participant of the compliance service, over the real broker, Mongo-wire server,
 * Redis and MinIO (the real messaging service on a port deciding membership for the uploads):
 * an export's archive lists the person's uploads (and no one else's); an erasure in `delete` mode
 * removes their objects and records, keeps the file in a conversation under legal hold, leaves
 * other people's files alone; in `anonymise` mode their files stay, attributed to
 * `former-member` and unnamed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { GdprClient } from '@parley/compliance-client';
import { GDPR_OUTBOX_COLLECTIONS } from '@parley/compliance-service/store/gdpr-collections';
import {
  type ComplianceFixture,
  openComplianceFixture,
  TEST_TOKEN,
} from '@parley/compliance-service/testing';
import { createGdprReportConsumer } from '@parley/compliance-service/workers/gdpr-report-consumer';
import { mediaObjectKey } from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettings, loadConfig, Type } from '@parley/kit';
import { eventually } from '@parley/kit/testing';
import type { ErasureMode } from '@parley/media-service/src/domain/personal-data.ts';
import { type MediaFixture, openMediaFixture } from '@parley/media-service/src/testing/media-fixture.ts';
import { createGdprParticipation } from '@parley/media-service/src/workers/gdpr-participation.ts';
import {
  SERVICE_TOKEN as MESSAGING_TOKEN,
  type MessagingFixture,
  openMessagingFixture,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { OutboxRelay } from '@parley/outbox';
import { LegalHoldStore } from '@parley/retention';
import { kafkaTopic, mongoDatabaseName, s3BucketName } from '@parley/tenancy';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let compliance: ComplianceFixture;
let messaging: MessagingFixture;
let media: MediaFixture;
let kafka: KafkaConnection;
let tenant: string;
let client: GdprClient;
let conversationId: string;
let heldConversationId: string;
const stoppers: (() => Promise<void>)[] = [];

const onlyTopic = (t: string) => new RegExp(`^${kafkaTopic(t, 'gdpr').replaceAll('.', '\\.')}$`);

function png(size: number): Buffer {
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000049444154',
    'hex',
  );
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

async function upload(userId: string, name: string, conversation = conversationId): Promise<string> {
  const answer = await media.app.inject({
    method: 'POST',
    url: `/v1/tenants/${tenant}/conversations/${conversation}/media?name=${encodeURIComponent(name)}`,
    headers: { ...media.as(userId), 'content-type': 'image/png' },
    payload: png(3000),
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return answer.json().mediaId as string;
}

const recordOf = (mediaId: string) =>
  media.mongo.client
    .db(mongoDatabaseName(tenant))
    .collection('media')
    .findOne({ _id: mediaId as never });

async function objectExists(mediaId: string, conversation = conversationId): Promise<boolean> {
  try {
    await media.s3.statObject(
      s3BucketName(tenant),
      mediaObjectKey({ conversationId: conversation, mediaId }),
    );
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFound') return false;
    throw error;
  }
}

beforeAll(async () => {
  compliance = await openComplianceFixture();
  tenant = await compliance.tenant();
  messaging = await openMessagingFixture({ tenant });
  const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
  media = await openMediaFixture({
    keyring: messaging.keyring,
    messagingUrl,
    messagingToken: MESSAGING_TOKEN,
  });
  await media.addTenant(tenant);
  const settings = loadConfig(Type.Object(kafkaSettings));
  kafka = await connectKafka(
    {
      brokers: settings.KAFKA_BROKERS,
      username: settings.KAFKA_USERNAME,
      password: settings.KAFKA_PASSWORD,
      clientId: 'media-gdpr-test',
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

  const created = await messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'Files',
    memberIds: ['bob', 'dora'],
  });
  expect(created.statusCode).toBe(201);
  conversationId = created.json().id;
  const held = await messaging.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'Case files',
    memberIds: ['bob'],
  });
  heldConversationId = held.json().id;
}, 120_000);

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop().catch(() => {});
  await kafka?.admin
    .deleteTopics({ topics: [kafkaTopic(tenant, 'gdpr'), kafkaTopic(tenant, 'audit')] })
    .catch(() => {});
  await kafka?.stop();
  await media?.close();
  await messaging?.close().catch(() => {});
  await compliance?.client
    .db(compliance.participantsDb)
    .collection('gdpr_participants')
    .deleteMany({})
    .catch(() => {});
  await compliance?.close();
}, 60_000);

/** Media's participant as components.ts makes it; one consumer group per run and mode. */
async function startMediaParticipant(mode: ErasureMode) {
  const participant = createGdprParticipation({
    personalData: media.components.personalData,
    mongo: media.mongo.client,
    mode,
    kafka: kafka.kafka,
    producer: kafka.producer,
    client,
    logger: compliance.logger,
    groupId: `media.gdpr.test-${tenant}-${mode}`,
    pattern: onlyTopic(tenant),
  });
  await participant.start();
  stoppers.push(() => participant.stop());
  return participant;
}

const job = (id: string) => compliance.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${id}`);
const settled = (id: string) =>
  eventually(
    () => job(id),
    (r) => r.body.status !== 'in-progress',
    { timeoutMs: 45_000 },
  );

describe('media as a GDPR participant', () => {
  it('exports the list of the person’s uploads, and only theirs', async () => {
    const participant = await startMediaParticipant('delete');
    const mine = await upload('bob', 'holiday.png');
    const theirs = await upload('alice', 'alice-only.png');
    const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/exports`, {
      userId: 'bob',
      requestedBy: 'bob',
    });
    expect(requested.status).toBe(202);
    expect(Object.keys(requested.body.participants)).toContain('media');
    const done = await settled(requested.body.id);
    expect(done.body.status).toBe('completed');
    expect(done.body.participants.media.status).toBe('done');
    const archive = unzipSync(
      new Uint8Array(
        (await compliance.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${requested.body.id}/archive`)).raw,
      ),
    );
    const part = JSON.parse(Buffer.from(archive['media.json'] as Uint8Array).toString());
    const listed = JSON.stringify(part);
    expect(listed).toContain(mine);
    expect(listed).toContain('holiday.png');
    expect(listed).not.toContain(theirs);
    await participant.stop();
  }, 90_000);

  it('erases in delete mode: the person’s objects and records go, a held conversation’s file and others’ files stay', async () => {
    const participant = await startMediaParticipant('delete');
    const gone = await upload('bob', 'bob-1.png');
    const kept = await upload('bob', 'evidence.png', heldConversationId);
    const alices = await upload('alice', 'alice-2.png');
    const holds = new LegalHoldStore(media.mongo.client, tenant);
    const hold = await holds.place({
      scope: { kind: 'conversation', conversationId: heldConversationId },
      reason: 'case 7',
      setBy: 'officer',
    });
    try {
      const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
        userId: 'bob',
        requestedBy: 'dpo@example.com',
      });
      expect(requested.status).toBe(202);
      const done = await settled(requested.body.id);
      expect(done.body.participants.media).toMatchObject({ status: 'done' });
      expect(done.body.participants.media.counts.filesHeld).toBe(1);
      expect(done.body.participants.media.counts.filesDeleted).toBeGreaterThanOrEqual(1);
      expect(await objectExists(gone)).toBe(false);
      expect(await recordOf(gone)).toBeNull();
      expect(await objectExists(kept, heldConversationId)).toBe(true);
      expect(await recordOf(kept)).not.toBeNull();
      expect(await objectExists(alices)).toBe(true);
    } finally {
      await holds.lift(hold.id, { liftedBy: 'officer', reason: 'case closed' });
      await participant.stop();
    }
  }, 90_000);

  it('erases in anonymise mode: the files stay in the conversation, attributed to former-member and unnamed', async () => {
    await startMediaParticipant('anonymise');
    const stays = await upload('dora', 'dora-private.png');
    const requested = await compliance.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'dora',
      requestedBy: 'dpo@example.com',
    });
    expect(requested.status).toBe(202);
    const done = await settled(requested.body.id);
    expect(done.body.participants.media).toMatchObject({ status: 'done', counts: { filesAnonymised: 1 } });
    const record = await recordOf(stays);
    expect(record?.uploaderId).toBe('former-member');
    expect(record?.fileName).toBeUndefined();
    expect(JSON.stringify(record)).not.toContain('dora');
    expect(await objectExists(stays)).toBe(true);
    const download = await media.app.inject({
      url: `/v1/tenants/${tenant}/media/${stays}/content`,
      headers: media.as('alice'),
    });
    expect(download.statusCode).toBe(200);
  }, 90_000);
});
