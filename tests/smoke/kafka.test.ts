import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { stackSetting, uniqueSuffix } from '../setup/stack-env.ts';

describe('kafka', () => {
  it('creates a topic, produces and consumes over SASL SCRAM-SHA-512', async () => {
    const kafka = new Kafka({
      clientId: 'parley-smoke',
      brokers: stackSetting('KAFKA_BROKERS').split(','),
      sasl: {
        mechanism: 'scram-sha-512',
        username: stackSetting('KAFKA_USERNAME'),
        password: stackSetting('KAFKA_PASSWORD'),
      },
      logLevel: logLevel.NOTHING,
    });
    const topic = `parley.demo.smoke-${uniqueSuffix()}`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `smoke.${uniqueSuffix()}` });
    try {
      await admin.connect();
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(
        true,
      );

      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'hello kafka' }] });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') });
      });
      expect(received).toBe('hello kafka');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });
});
