/**
 * Two relays over one outbox, on the real Mongo-wire server and Kafka broker, while writers keep
 * pushing events (and fields) into the same documents, as a service's writers do. FerretDB (the
 * local server) rewrites a whole document per update without isolation: a relay's clearing that
 * read a document before a writer's push wrote it back after, and the push (its event and its
 * field) was gone, never published. With the relay's `lock` (the one the writers hold), each
 * event is published at least once, each document cleared of exactly what was published, and no
 * writer's update is lost. A refused event is recorded once, whichever relay handled it.
 */
import { randomUUID } from 'node:crypto';
import { createEvent, defineEvent } from '@parley/contracts';
import {
  connectKafka,
  connectMongo,
  type DocumentLockDocument,
  type KafkaConnection,
  kafkaSettings,
  loadConfig,
  type MongoConnection,
  mongoSettings,
  withDocumentLock,
} from '@parley/kit';
import { createSilentLogger, readTopic } from '@parley/kit/testing';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import type { Document } from 'mongodb';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUTBOX_FIELD,
  OUTBOX_PENDING_FIELD,
  OUTBOX_REFUSED_FIELD,
  outboxPush,
  withOutbox,
} from './outbox-fields.ts';
import { OutboxRelay } from './outbox-relay.ts';

const ThingChanged = defineEvent(
  'test.thing.changed.v1',
  Type.Object({ doc: Type.Number(), n: Type.Number() }),
);
const logger = createSilentLogger();
const config = loadConfig(Type.Object({ ...mongoSettings, ...kafkaSettings }));
const tenant = `oxc-${randomUUID().slice(0, 8)}`;
const topic = kafkaTopic(tenant, 'lifecycle');

const DOCUMENTS = 16;
const PUSHES = 20;
/** Writers per document, each pushing PUSHES events with a field each. */
const WRITERS = 2;

let mongo: MongoConnection;
let kafka: KafkaConnection;

beforeAll(async () => {
  mongo = await connectMongo(config.MONGO_URL, logger);
  kafka = await connectKafka(
    {
      brokers: config.KAFKA_BROKERS,
      username: config.KAFKA_USERNAME,
      password: config.KAFKA_PASSWORD,
      clientId: 'outbox-concurrency-test',
    },
    logger,
  );
  await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
});

afterAll(async () => {
  await kafka?.admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await mongo?.client.db(mongoDatabaseName(tenant)).dropDatabase();
  await kafka?.stop();
  await mongo?.stop();
});

async function published(): Promise<number> {
  const offsets = await kafka.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high), 0);
}

describe('two relays over one outbox, with writers', { timeout: 180_000 }, () => {
  it('publish every event at least once, clear each once, and lose no write', async () => {
    const db = mongo.client.db(mongoDatabaseName(tenant));
    const things = db.collection<Document>('contended');
    const locks = db.collection<DocumentLockDocument>('contended_locks');
    await things.createIndex({ [OUTBOX_PENDING_FIELD]: 1 }, { sparse: true });
    // The writers' protocol: every update of a document that carries an outbox holds its lock;
    // the relays are given the same lock for their clearing.
    const lock = <T>(id: unknown, fn: () => Promise<T>) => withDocumentLock(locks, `thing:${String(id)}`, fn);
    const relay = () =>
      new OutboxRelay({
        producer: kafka.producer,
        logger,
        sources: async () => [things],
        topicFor: () => topic,
        lock: (_collection, id, fn) => lock(id, fn),
        batchSize: DOCUMENTS,
      });
    const relays = [relay(), relay()];
    const event = (doc: number, n: number) =>
      createEvent(ThingChanged, { tenant, source: 'test', payload: { doc, n } });

    const expected = new Set<string>();
    // One refused event per document (it names another tenant): recorded as evidence once.
    const ids: number[] = [];
    for (let doc = 0; doc < DOCUMENTS; doc++) {
      const first = event(doc, 0);
      const forged = createEvent(ThingChanged, {
        tenant: `${tenant}-other`,
        source: 'test',
        payload: { doc, n: -1 },
      });
      expected.add(first.id);
      await things.insertOne(withOutbox({ _id: doc as never, n0: true }, [first, forged]));
      ids.push(doc);
    }

    let writing = true;
    const writers = ids.flatMap((doc) =>
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let n = 1; n <= PUSHES; n++) {
          const e = event(doc, w * PUSHES + n);
          expected.add(e.id);
          await lock(doc, () =>
            things.updateOne({ _id: doc as never }, outboxPush([e], { $set: { [`w${w}n${n}`]: true } })),
          );
        }
      }),
    );
    // Both relays pass over the outbox again and again while the writers write, and hand each
    // other documents as a writer's immediate publish would.
    const passes = relays.map(async (r, i) => {
      while (writing) {
        await r.flush();
        await r.publishDocument(things, ids[(i * 5) % DOCUMENTS], { acknowledgeLater: i === 1 });
      }
    });
    await Promise.all(writers);
    writing = false;
    await Promise.all(passes);
    for (const r of relays) await r.flush();
    await Promise.all(relays.map((r) => r.flush()));

    // Nothing left pending, and no writer's update lost.
    const stored = await things.find().sort({ _id: 1 }).toArray();
    expect(stored).toHaveLength(DOCUMENTS);
    for (const doc of stored) {
      expect(doc).not.toHaveProperty(OUTBOX_FIELD);
      expect(doc).not.toHaveProperty(OUTBOX_PENDING_FIELD);
      expect(doc.n0).toBe(true);
      for (let w = 0; w < WRITERS; w++)
        for (let n = 1; n <= PUSHES; n++)
          expect(doc[`w${w}n${n}`], `document ${doc._id} write ${w}/${n}`).toBe(true);
      // The forged event: refused once, kept once.
      expect(
        (doc[OUTBOX_REFUSED_FIELD] as unknown[] | undefined)?.length,
        `document ${doc._id} refusals`,
      ).toBe(1);
    }

    // Every event on the topic, at least once (duplicates are the at-least-once contract).
    const count = await published();
    const seen = new Set(
      (await readTopic(kafka.kafka, topic, count)).map(
        (m) => JSON.parse(m.value?.toString() ?? '{}').id as string,
      ),
    );
    const missing = [...expected].filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
  });
});
