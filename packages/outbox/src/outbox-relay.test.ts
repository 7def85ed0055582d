/**
 * Against the local stack's real Mongo-wire server and Kafka broker: a document and its events
 * are written in one write, the relay publishes them, and a redelivery is caught by the inbox.
 */
import { randomUUID } from 'node:crypto';
import { createEvent, defineEvent } from '@parley/contracts';
import {
  connectKafka,
  connectMongo,
  type KafkaConnection,
  kafkaSettings,
  loadConfig,
  type MongoConnection,
  mongoSettings,
} from '@parley/kit';
import { createSilentLogger, readTopic } from '@parley/kit/testing';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxDeduplicator } from './inbox.ts';
import { OUTBOX_FIELD, OUTBOX_PENDING_FIELD, outboxPush, withOutbox } from './outbox-fields.ts';
import { OutboxRelay } from './outbox-relay.ts';

const ThingNamed = defineEvent('test.thing.named.v1', Type.Object({ name: Type.String() }));
const logger = createSilentLogger();
const config = loadConfig(Type.Object({ ...mongoSettings, ...kafkaSettings }));
const tenant = `outbox-${randomUUID().slice(0, 8)}`;
const topic = kafkaTopic(tenant, 'lifecycle');
/**
 * Removed only after every test: a kafkajs producer that has sent to a topic fails every later
 * send once that topic is deleted (kafkajs#1622), so no test deletes a topic the shared producer
 * knows.
 */
const fresh = `${topic}-fresh`;
const handed = `${topic}-handed`;

let mongo: MongoConnection;
let kafka: KafkaConnection;

beforeAll(async () => {
  mongo = await connectMongo(config.MONGO_URL, logger);
  kafka = await connectKafka(
    {
      brokers: config.KAFKA_BROKERS,
      username: config.KAFKA_USERNAME,
      password: config.KAFKA_PASSWORD,
      clientId: 'outbox-test',
    },
    logger,
  );
  await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
});

afterAll(async () => {
  await kafka?.admin.deleteTopics({ topics: [topic, fresh, handed] }).catch(() => {});
  await mongo?.client.db(mongoDatabaseName(tenant)).dropDatabase();
  await kafka?.stop();
  await mongo?.stop();
});

describe('outbox relay', () => {
  it('does not let a batch of documents that cannot be published starve newer ones', async () => {
    const things = mongo.client.db(mongoDatabaseName(tenant)).collection('stuck-things');
    const event = (name: string) => createEvent(ThingNamed, { tenant, source: 'test', payload: { name } });
    // Two documents whose topic is gone fill a batch of two; the broker's refusal is immediate
    // here (the real producer spends its whole retry budget on a missing topic first).
    await things.insertMany([
      withOutbox({ name: 'stuck-1' }, [event('stuck')]),
      withOutbox({ name: 'stuck-2' }, [event('stuck')]),
    ]);
    const gone = `${topic}-gone`;
    await kafka.admin.createTopics({ topics: [{ topic: fresh, numPartitions: 1 }], waitForLeaders: true });
    const producer = {
      sendBatch: async (batch: Parameters<typeof kafka.producer.sendBatch>[0]) => {
        if (batch.topicMessages?.some((t) => t.topic === gone))
          throw new Error('This server does not host this topic-partition');
        return kafka.producer.sendBatch(batch);
      },
    } as unknown as typeof kafka.producer;
    const relay = new OutboxRelay({
      producer,
      logger,
      sources: async () => [things],
      topicFor: (e) => ((e.payload as { name: string }).name === 'stuck' ? gone : fresh),
      batchSize: 2,
    });
    expect(await relay.flush()).toBe(0);
    const { insertedId } = await things.insertOne(withOutbox({ name: 'fresh' }, [event('fresh')]));
    // The stuck two wait out their backoff; the new document is published in the next pass.
    expect(await relay.flush()).toBe(1);
    expect(await things.findOne({ _id: insertedId })).not.toHaveProperty(OUTBOX_PENDING_FIELD);
    expect(await things.countDocuments({ [OUTBOX_PENDING_FIELD]: true })).toBe(2);
  });

  it('publishes the events a write carried and then removes them from the document', async () => {
    const things = mongo.client.db(mongoDatabaseName(tenant)).collection('things');
    const first = createEvent(ThingNamed, { tenant, source: 'test', payload: { name: 'first' } });
    const second = createEvent(ThingNamed, { tenant, source: 'test', payload: { name: 'second' } });
    const { insertedId } = await things.insertOne(withOutbox({ name: 'first' }, [first]));
    await things.updateOne({ _id: insertedId }, outboxPush([second], { $set: { name: 'second' } }));

    const relay = new OutboxRelay({
      producer: kafka.producer,
      logger,
      sources: async () => [things],
      topicFor: () => topic,
    });
    expect(await relay.flush()).toBe(2);
    expect(await relay.flush()).toBe(0);

    const stored = await things.findOne({ _id: insertedId });
    expect(stored?.name).toBe('second');
    expect(stored).not.toHaveProperty(OUTBOX_FIELD);
    expect(stored).not.toHaveProperty(OUTBOX_PENDING_FIELD);

    const messages = await readTopic(kafka.kafka, topic, 2);
    const events = messages.map((m) => JSON.parse(m.value?.toString() ?? ''));
    expect(events.map((e) => e.payload.name)).toEqual(['first', 'second']);
    expect(events[0].id).toBe(first.id);
    expect(messages[0]?.headers?.['event-type']?.toString()).toBe('test.thing.named.v1');
  });

  it('publishes events handed over by their writer without reading them back, and clears them later', async () => {
    await kafka.admin.createTopics({ topics: [{ topic: handed, numPartitions: 1 }], waitForLeaders: true });
    const things = mongo.client.db(mongoDatabaseName(tenant)).collection('handed-things');
    const event = (name: string) => createEvent(ThingNamed, { tenant, source: 'test', payload: { name } });
    const relay = new OutboxRelay({
      producer: kafka.producer,
      logger,
      sources: async () => [things],
      topicFor: () => handed,
    });
    const first = event('first');
    const { insertedId } = await things.insertOne(withOutbox({ name: 'first' }, [first]));
    // The handed events are what is published: a document that does not hold them is never read.
    expect(
      await relay.publishDocument(things, insertedId, { written: [first], acknowledgeLater: true }),
    ).toBe(1);
    await relay.settled();
    expect(await things.findOne({ _id: insertedId })).not.toHaveProperty(OUTBOX_PENDING_FIELD);

    // A writer that pushed more meanwhile: the handed event goes out, the outbox (not equal to
    // what was handed) stays pending, and the next pass publishes all of it (at least once).
    const second = event('second');
    const third = event('third');
    const { insertedId: twice } = await things.insertOne(withOutbox({ name: 'second' }, [second]));
    await things.updateOne({ _id: twice }, outboxPush([third]));
    expect(await relay.publishDocument(things, twice, { written: [second], acknowledgeLater: true })).toBe(1);
    await relay.settled();
    expect(await things.findOne({ _id: twice })).toMatchObject({ [OUTBOX_PENDING_FIELD]: true });
    expect(await relay.flush()).toBe(2);
    expect(await things.findOne({ _id: twice })).not.toHaveProperty(OUTBOX_PENDING_FIELD);

    // Handed over while the write that holds it is still under way: published at once, and the
    // outbox cleared once that write has landed (not before, when there was nothing to clear).
    const fourth = event('fourth');
    const { insertedId: racing } = await things.insertOne({ name: 'fourth' });
    const writing = things.updateOne({ _id: racing }, outboxPush([fourth]));
    expect(
      await relay.publishDocument(things, racing, { written: [fourth], acknowledgeLater: true, writing }),
    ).toBe(1);
    await relay.settled();
    expect(await things.findOne({ _id: racing })).not.toHaveProperty(OUTBOX_PENDING_FIELD);
    expect(await things.findOne({ _id: racing })).not.toHaveProperty(OUTBOX_FIELD);

    const names = (await readTopic(kafka.kafka, handed, 5)).map(
      (m) => JSON.parse(m.value?.toString() ?? '').payload.name,
    );
    expect(names).toEqual(['first', 'second', 'second', 'third', 'fourth']);
  });

  it('lets a consumer handle a redelivered event exactly once', async () => {
    const db = mongo.client.db(mongoDatabaseName(tenant));
    await db.collection('inbox').createIndex({ group: 1 });
    const inbox = new InboxDeduplicator();
    const eventId = randomUUID();
    expect(await inbox.firstTime(db, 'test.consumer', eventId)).toBe(true);
    expect(await inbox.firstTime(db, 'test.consumer', eventId)).toBe(false);
    expect(await inbox.firstTime(db, 'other.consumer', eventId)).toBe(true);
    await inbox.forget(db, 'test.consumer', eventId);
    expect(await inbox.firstTime(db, 'test.consumer', eventId)).toBe(true);
  });
});

describe('outbox relay isolation', () => {
  it('keeps publishing other documents when one cannot be published', async () => {
    const things = mongo.client.db(mongoDatabaseName(tenant)).collection('isolated');
    const stuck = createEvent(ThingNamed, { tenant, source: 'test', payload: { name: 'stuck' } });
    const fine = createEvent(ThingNamed, { tenant, source: 'test', payload: { name: 'fine' } });
    const { insertedId: stuckId } = await things.insertOne(withOutbox({ name: 'stuck' }, [stuck]));
    const { insertedId: fineId } = await things.insertOne(withOutbox({ name: 'fine' }, [fine]));
    let stuckAttempts = 0;
    const relay = new OutboxRelay({
      producer: kafka.producer,
      logger,
      sources: async () => [things],
      // A topic name Kafka refuses outright: this document's events cannot go out.
      topicFor: (event) => {
        if ((event.payload as { name: string }).name !== 'stuck') return topic;
        stuckAttempts++;
        return 'bad topic name!';
      },
    });
    expect(await relay.flush()).toBe(1);
    expect(await things.findOne({ _id: fineId })).not.toHaveProperty(OUTBOX_FIELD);
    expect(await things.findOne({ _id: stuckId })).toMatchObject({ [OUTBOX_PENDING_FIELD]: true });

    // The failed document backs off: the next passes do not retry it at once, and a new
    // document's events still go out straight away.
    const later = createEvent(ThingNamed, { tenant, source: 'test', payload: { name: 'later' } });
    const { insertedId: laterId } = await things.insertOne(withOutbox({ name: 'later' }, [later]));
    expect(stuckAttempts).toBe(1);
    expect(await relay.flush()).toBe(1);
    expect(stuckAttempts).toBe(1);
    expect(await things.findOne({ _id: laterId })).not.toHaveProperty(OUTBOX_FIELD);
    expect(await things.findOne({ _id: stuckId })).toMatchObject({ [OUTBOX_PENDING_FIELD]: true });
  });
});
