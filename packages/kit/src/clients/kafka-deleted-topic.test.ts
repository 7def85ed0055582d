/**
 * On the local stack's real Kafka: a producer outlives the topics it sent to. kafkajs 2.2.4 never
 * forgets a topic it sent to (kafkajs#1622), and once that topic is deleted every metadata refresh
 * fails with UNKNOWN_TOPIC_OR_PARTITION, so every later send of that producer fails: a Tenant
 * deleted with deletionPolicy Delete broke the long-lived producer of every service. Parley's
 * patch (patches/kafkajs+2.2.4.patch, cluster/index.js) prunes the deleted topic and refreshes
 * again; a send to a topic that does not exist still gets its error.
 */
import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSettings, loadConfig } from '../config.ts';
import { createSilentLogger } from '../testing/index.ts';
import { connectKafka, createKafka, type KafkaConnection, kafkaSettingsFromConfig } from './kafka.ts';

const logger = createSilentLogger();
const settings = kafkaSettingsFromConfig(loadConfig(Type.Object(kafkaSettings)), 'deleted-topic-test');
const run = randomUUID().slice(0, 8);
// Tenants of this test only: no other test's producer knows these topics.
const topicOf = (name: string) => `parley.deltopic-${run}.${name}`;
const created = ['x', 'y', 'z', 'expiry-x', 'expiry-y'].map(topicOf);
let kafka: KafkaConnection;

/** The `type` and `name` of an error and of every cause under it (kafkajs wraps retried errors). */
function errorChain(error: unknown): string[] {
  const found: string[] = [];
  let current = error as { type?: string; name?: string; cause?: unknown } | undefined;
  while (current) {
    if (current.type) found.push(current.type);
    if (current.name) found.push(current.name);
    current = current.cause as typeof current;
  }
  return found;
}

async function deleteAndWaitUntilGone(topic: string): Promise<void> {
  await kafka.admin.deleteTopics({ topics: [topic] });
  const deadline = Date.now() + 30_000;
  while ((await kafka.admin.listTopics()).includes(topic)) {
    if (Date.now() > deadline) throw new Error(`${topic} still listed 30 s after its deletion`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  kafka = await connectKafka(settings, logger);
  await kafka.admin.createTopics({ topics: created.map((topic) => ({ topic })), waitForLeaders: true });
}, 60_000);

afterAll(async () => {
  await kafka?.admin.deleteTopics({ topics: created }).catch(() => {});
  await kafka?.stop();
});

describe('a producer after a topic it sent to was deleted (kafkajs#1622)', () => {
  it('keeps sending to the other topics, and a send to the deleted one fails', {
    timeout: 180_000,
  }, async () => {
    const [x, y, z] = [topicOf('x'), topicOf('y'), topicOf('z')];
    // The kit's own long-lived producer, as every service holds it.
    const { producer } = kafka;
    await producer.send({ topic: x, messages: [{ value: 'before' }] });
    await producer.send({ topic: y, messages: [{ value: 'before' }] });

    await deleteAndWaitUntilGone(x);

    // A topic new to this producer makes it refresh the metadata of every topic it knows, X too.
    await producer.send({ topic: z, messages: [{ value: 'after' }] });
    await producer.send({ topic: y, messages: [{ value: 'after' }] });

    const toDeleted = await producer.send({ topic: x, messages: [{ value: 'lost' }] }).then(
      () => 'delivered',
      (error: unknown) => errorChain(error),
    );
    expect(toDeleted).toContain('UNKNOWN_TOPIC_OR_PARTITION');

    // The failed send did not put X back among the topics every refresh asks for.
    await producer.send({ topic: y, messages: [{ value: 'after the failed send' }] });
    const offsets = await kafka.admin.fetchTopicOffsets(y);
    expect(offsets.map((o) => Number(o.high)).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('keeps sending after its metadata expires, and a topic that never existed fails', {
    timeout: 180_000,
  }, async () => {
    const [x, y] = [topicOf('expiry-x'), topicOf('expiry-y')];
    // Metadata older than 300 ms is refreshed before each send: the path every producer takes
    // once metadataMaxAge (5 min by default) has passed since its last refresh.
    const producer = createKafka(settings, logger).producer({
      metadataMaxAge: 300,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    await producer.connect();
    try {
      await producer.send({ topic: x, messages: [{ value: 'before' }] });
      await producer.send({ topic: y, messages: [{ value: 'before' }] });
      await deleteAndWaitUntilGone(x);
      await new Promise((resolve) => setTimeout(resolve, 600));

      await producer.send({ topic: y, messages: [{ value: 'after expiry' }] });

      const neverCreated = topicOf(`never-${randomUUID().slice(0, 6)}`);
      const toMissing = await producer.send({ topic: neverCreated, messages: [{ value: 'lost' }] }).then(
        () => 'delivered',
        (error: unknown) => errorChain(error),
      );
      expect(toMissing).toContain('UNKNOWN_TOPIC_OR_PARTITION');
      expect((await kafka.admin.listTopics()).includes(neverCreated)).toBe(false);

      await new Promise((resolve) => setTimeout(resolve, 600));
      await producer.send({ topic: y, messages: [{ value: 'after the failed send' }] });
    } finally {
      await producer.disconnect();
    }
  });
});
