/**
 * On the local stack's real Kafka: a TopicPatternConsumer's handler never sees an envelope that
 * names another tenant than its topic. Whoever can write a tenant's topic (its own Kafka
 * credential, a forged outbox) cannot make a consumer act for another tenant.
 */
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSettings, loadConfig } from '../config.ts';
import { createServiceApp } from '../http/create-service-app.ts';
import { createCapturingLogger, eventually } from '../testing/index.ts';
import { eventRefusals } from './event-refusals.ts';
import { connectKafka, type KafkaConnection } from './kafka.ts';
import { TopicPatternConsumer } from './topic-pattern-consumer.ts';

const { logger, lines } = createCapturingLogger('envelope-check-test');
const config = loadConfig(Type.Object(kafkaSettings));
const run = randomUUID().slice(0, 8);
const [tenant, victim] = [`ea-${run}`, `eb-${run}`];
const topic = `parley.${tenant}.audit`;
let kafka: KafkaConnection;

beforeAll(async () => {
  kafka = await connectKafka(
    {
      brokers: config.KAFKA_BROKERS,
      username: config.KAFKA_USERNAME,
      password: config.KAFKA_PASSWORD,
      clientId: 'envelope-check-test',
    },
    logger,
  );
  await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
});

afterAll(async () => {
  await kafka?.admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await kafka?.stop();
});

const envelope = (claimed: string | undefined, id: string, secret = 'nothing') =>
  JSON.stringify({ id, type: 'test.thing.v1', ...(claimed ? { tenant: claimed } : {}), payload: { secret } });

describe('TopicPatternConsumer envelope check', () => {
  it('a consumer refuses an envelope whose tenant differs from its topic', async () => {
    const group = `envelope-check-${run}`;
    const handled: string[] = [];
    const parked: string[] = [];
    const refusedBefore = await eventRefusals.total(group, 'tenant-mismatch');
    await kafka.producer.send({
      topic,
      messages: [
        { value: envelope(tenant, 'own-1') },
        { value: envelope(victim, 'forged-1', 'payload-of-forgery') },
        { value: envelope(undefined, 'no-tenant') },
        { value: envelope(tenant, 'own-2') },
        { value: null }, // a tombstone names no tenant: the handler decides
        { value: envelope(victim, 'forged-2', 'payload-of-forgery') },
      ],
    });
    const consumer = new TopicPatternConsumer({
      kafka: kafka.kafka,
      logger,
      groupId: group,
      pattern: new RegExp(`^${topic.replaceAll('.', '\\.')}$`),
      refreshMs: 60_000,
      maxWaitMs: 100,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          handled.push(message.value ? JSON.parse(message.value.toString()).id : 'tombstone');
          resolveOffset(message.offset);
        }
      },
      onForeignEnvelope: async (message) => {
        parked.push(JSON.parse(message.value?.toString() ?? '{}').id);
      },
    });
    await consumer.start();
    try {
      await eventually(
        async () => eventRefusals.total(group, 'tenant-mismatch'),
        (n) => n >= refusedBefore + 3,
      );
      await eventually(
        async () => handled.length,
        (n) => n >= 3,
      );
      expect(handled).toEqual(['own-1', 'own-2', 'tombstone']);
      expect(parked).toEqual(['forged-1', 'no-tenant', 'forged-2']);
    } finally {
      await consumer.stop();
    }
    // Refused messages are committed like handled ones: the group does not see them again.
    const [committed] = await kafka.admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(committed?.partitions[0]?.offset).toBe('6');
    expect(await eventRefusals.total(group, 'tenant-mismatch')).toBe(refusedBefore + 3);
    // Served by every app's /metrics, beside the app's own.
    const app = createServiceApp({ service: 'envelope-test', logger });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    await app.close();
    expect(metrics).toContain(
      `parley_events_refused_total{component="${group}",reason="tenant-mismatch"} ${refusedBefore + 3}`,
    );
    expect(metrics).toContain('parley_envelope_test_http_request_duration_seconds');
    // Logged with the claim, never the value.
    expect(lines().filter((l) => l.group === group && l.claimedTenant === victim)).toHaveLength(2);
    expect(JSON.stringify(lines())).not.toContain('payload-of-forgery');
  });
});
