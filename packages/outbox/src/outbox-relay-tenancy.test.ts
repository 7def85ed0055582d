/**
 * The relay's tenant rule against the real Mongo-wire server and Kafka broker: an outbox speaks
 * only for the tenant whose database holds it. The forged documents are written with the stack's
 * admin client, which can do no more than a tenant's own Mongo credential could in `parley_a`
 * (FerretDB, the local server, has no per-database users to show that credential itself).
 */
import { randomUUID } from 'node:crypto';
import { createEvent, GdprErasureRequested } from '@parley/contracts';
import {
  connectKafka,
  connectMongo,
  eventRefusals,
  type KafkaConnection,
  kafkaSettings,
  loadConfig,
  type MongoConnection,
  mongoSettings,
} from '@parley/kit';
import { createCapturingLogger, readTopic } from '@parley/kit/testing';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import type { Collection, Document } from 'mongodb';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_FIELD, OUTBOX_PENDING_FIELD, OUTBOX_REFUSED_FIELD, withOutbox } from './outbox-fields.ts';
import { OutboxRelay } from './outbox-relay.ts';

const config = loadConfig(Type.Object({ ...mongoSettings, ...kafkaSettings }));
const run = randomUUID().slice(0, 8);
const [tenantA, tenantB] = [`oxa-${run}`, `oxb-${run}`];
const topics = [kafkaTopic(tenantA, 'gdpr'), kafkaTopic(tenantB, 'gdpr')];
const strayDb = `outbox_stray_${run}`;
const { logger, lines } = createCapturingLogger('outbox-test');

let mongo: MongoConnection;
let kafka: KafkaConnection;

beforeAll(async () => {
  mongo = await connectMongo(config.MONGO_URL, logger);
  kafka = await connectKafka(
    {
      brokers: config.KAFKA_BROKERS,
      username: config.KAFKA_USERNAME,
      password: config.KAFKA_PASSWORD,
      clientId: 'outbox-tenancy-test',
    },
    logger,
  );
  await kafka.admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
    waitForLeaders: true,
  });
});

afterAll(async () => {
  await kafka?.admin.deleteTopics({ topics }).catch(() => {});
  for (const db of [mongoDatabaseName(tenantA), strayDb]) await mongo?.client.db(db).dropDatabase();
  await kafka?.stop();
  await mongo?.stop();
});

/** Messages on the topic so far (its high watermark: the broker's own count). */
async function published(topic: string): Promise<number> {
  const offsets = await kafka.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high), 0);
}

const erasure = (tenant: string, userId: string) =>
  createEvent(GdprErasureRequested, {
    tenant,
    source: 'compliance',
    payload: { jobId: randomUUID(), userId, participants: ['auth'], requestedAt: new Date().toISOString() },
  });

/** The compliance service's relay, as main.ts builds it: the topic from the event. */
const complianceRelay = (collection: Collection<Document>) =>
  new OutboxRelay({
    producer: kafka.producer,
    logger,
    sources: async () => [collection],
    topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
  });

describe('outbox relay tenancy', () => {
  it("a tenant's Mongo credential cannot publish into another tenant's topic", async () => {
    const jobs = mongo.client.db(mongoDatabaseName(tenantA)).collection('gdpr_jobs');
    const forged = erasure(tenantB, 'u-victim-of-b');
    const own = erasure(tenantA, 'u-of-a');
    const { insertedId } = await jobs.insertOne(withOutbox({ kind: 'erasure' }, [forged, own]));
    const refusedBefore = await eventRefusals.total('outbox-relay', 'tenant-mismatch');

    const relay = complianceRelay(jobs);
    expect(await relay.flush()).toBe(1);

    // Only A's own event went out, to A's topic; nothing landed in B's.
    const [message] = await readTopic(kafka.kafka, kafkaTopic(tenantA, 'gdpr'), 1);
    expect(JSON.parse(message?.value?.toString() ?? '{}').id).toBe(own.id);
    expect(await published(kafkaTopic(tenantB, 'gdpr'))).toBe(0);
    expect(await eventRefusals.total('outbox-relay', 'tenant-mismatch')).toBe(refusedBefore + 1);

    // Kept as evidence and no longer pending: the next passes neither publish nor count it again.
    const stored = await jobs.findOne({ _id: insertedId });
    expect(stored).not.toHaveProperty(OUTBOX_FIELD);
    expect(stored).not.toHaveProperty(OUTBOX_PENDING_FIELD);
    expect(stored?.[OUTBOX_REFUSED_FIELD]).toMatchObject([
      { reason: 'tenant-mismatch', event: { id: forged.id } },
    ]);
    expect(await relay.flush()).toBe(0);
    expect(await eventRefusals.total('outbox-relay', 'tenant-mismatch')).toBe(refusedBefore + 1);
    expect(await published(kafkaTopic(tenantB, 'gdpr'))).toBe(0);

    // Logged with what identifies it, never its payload.
    const refusal = lines().find((l) => l.eventId === forged.id);
    expect(refusal).toMatchObject({ claimedTenant: tenantB, reason: 'tenant-mismatch', level: 'error' });
    expect(JSON.stringify(lines())).not.toContain('u-victim-of-b');
  });

  it("a tenant's outbox never reaches another tenant's topic, whatever topicFor computes", async () => {
    const jobs = mongo.client.db(mongoDatabaseName(tenantA)).collection('gdpr_rounds');
    const event = erasure(tenantA, 'u-of-a');
    await jobs.insertOne(withOutbox({ round: 1 }, [event]));
    const before = await eventRefusals.total('outbox-relay', 'topic-mismatch');
    const relay = new OutboxRelay({
      producer: kafka.producer,
      logger,
      sources: async () => [jobs],
      topicFor: () => kafkaTopic(tenantB, 'gdpr'), // a routing bug sending A's events to B
    });
    expect(await relay.flush()).toBe(0);
    expect(await published(kafkaTopic(tenantB, 'gdpr'))).toBe(0);
    expect(await eventRefusals.total('outbox-relay', 'topic-mismatch')).toBe(before + 1);
  });

  it("publishes nothing from a database that is neither a tenant's nor the platform's, unless named a platform one", async () => {
    const stray = mongo.client.db(strayDb).collection('things');
    await stray.insertOne(withOutbox({ n: 1 }, [erasure(tenantB, 'u-1')]));
    const before = await eventRefusals.total('outbox-relay', 'unknown-database');
    expect(await complianceRelay(stray).flush()).toBe(0);
    expect(await eventRefusals.total('outbox-relay', 'unknown-database')).toBe(before + 1);
    expect(await published(kafkaTopic(tenantB, 'gdpr'))).toBe(0);

    // Named as a platform database (written only with platform credentials), any tenant's event goes out.
    const platformEvent = erasure(tenantB, 'u-2');
    await stray.insertOne(withOutbox({ n: 2 }, [platformEvent]));
    const platform = new OutboxRelay({
      producer: kafka.producer,
      logger,
      sources: async () => [stray],
      topicFor: (event) => kafkaTopic(event.tenant, 'gdpr'),
      platformDatabases: [strayDb],
    });
    expect(await platform.flush()).toBe(1);
    const [message] = await readTopic(kafka.kafka, kafkaTopic(tenantB, 'gdpr'), 1);
    expect(JSON.parse(message?.value?.toString() ?? '{}').id).toBe(platformEvent.id);
  });
});
