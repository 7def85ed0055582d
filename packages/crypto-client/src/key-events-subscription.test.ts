/**
 * On the local stack's real Kafka: a key event on a tenant topic that did not exist when the
 * subscription started (a tenant provisioned later) still reaches the cache.
 */
import { randomUUID } from 'node:crypto';
import { CryptoKeyRotated, createEvent, type EventEnvelope } from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettings, loadConfig, Type } from '@parley/kit';
import { createSilentLogger, eventually } from '@parley/kit/testing';
import { kafkaTopic } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyEventsSubscription } from './key-events-subscription.ts';

const logger = createSilentLogger();
const config = loadConfig(Type.Object(kafkaSettings));
const run = randomUUID().slice(0, 8);
const [early, late] = [`keysearly${run}`, `keyslate${run}`];
let kafka: KafkaConnection;

beforeAll(async () => {
  kafka = await connectKafka(
    {
      brokers: config.KAFKA_BROKERS,
      username: config.KAFKA_USERNAME,
      password: config.KAFKA_PASSWORD,
      clientId: 'key-events-test',
    },
    logger,
  );
  await kafka.admin.createTopics({ topics: [{ topic: kafkaTopic(early, 'keys') }], waitForLeaders: true });
});

afterAll(async () => {
  await kafka?.admin
    .deleteTopics({ topics: [kafkaTopic(early, 'keys'), kafkaTopic(late, 'keys')] })
    .catch(() => {});
  await kafka?.stop();
});

describe('KeyEventsSubscription', () => {
  it('follows a tenant whose keys topic appears after it started', async () => {
    const received: EventEnvelope[] = [];
    const subscription = new KeyEventsSubscription({
      kafka: kafka.kafka,
      logger,
      groupPrefix: 'crypto-client.test',
      refreshMs: 500,
      onEvent: (event) => void received.push(event),
    });
    await subscription.start();
    try {
      await subscription.joined;
      await kafka.admin.createTopics({ topics: [{ topic: kafkaTopic(late, 'keys') }], waitForLeaders: true });
      const event = createEvent(CryptoKeyRotated, {
        tenant: late,
        source: 'test',
        payload: { keyName: 'default', previousVersion: 1, newVersion: 2, reason: 'requested' },
      });
      // A topic just created can be unknown to the broker's metadata for a moment under load:
      // the send is retried until the broker takes it.
      await eventually(() =>
        kafka.producer.send({
          topic: kafkaTopic(late, 'keys'),
          messages: [{ value: JSON.stringify(event) }],
        }),
      );
      const deadline = Date.now() + 45_000;
      while (!received.some((e) => e.id === event.id) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(received.map((e) => e.id)).toContain(event.id);
    } finally {
      await subscription.stop();
    }
  });
});
