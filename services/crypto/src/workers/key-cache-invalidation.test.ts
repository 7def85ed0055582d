import { CryptoKeyRotated, decodeEnvelope, parseEvent } from '@parley/contracts';
import { EnvelopeEncryptor, KeyEventsSubscription } from '@parley/crypto-client';
import { decodeKeyedHeader, KIND_DATA_KEY, parseEnvelope } from '@parley/keyring';
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import { connectKafka, type KafkaConnection, kafkaSettings, loadConfig } from '@parley/kit';
import { createSilentLogger, eventually, readTopic } from '@parley/kit/testing';
import { OutboxRelay } from '@parley/outbox';
import { kafkaTopic } from '@parley/tenancy';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyCacheInvalidation } from './key-cache-invalidation.ts';

const logger = createSilentLogger();
let fx: KeyringFixture;
let kafka: KafkaConnection;
let tenant: string;
let topic: string;

beforeAll(async () => {
  fx = await openKeyringFixture();
  const config = loadConfig(Type.Object({ ...kafkaSettings }));
  kafka = await connectKafka(
    {
      brokers: config.KAFKA_BROKERS,
      username: config.KAFKA_USERNAME,
      password: config.KAFKA_PASSWORD,
      clientId: 'crypto-test',
    },
    logger,
  );
  tenant = fx.uniqueTenant('keys');
  topic = kafkaTopic(tenant, 'keys');
  await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
});

afterAll(async () => {
  await kafka?.admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await kafka?.stop();
  await fx?.close();
});

describe('crypto.key.rotated.v1', () => {
  it('is published through the outbox and makes other processes drop the old primary', async () => {
    const reader = fx.keyring({ cacheTtlMs: 600_000 });
    const writer = fx.keyring();
    await writer.ensureTenantKey(tenant);
    expect((await reader.generateDataKey(tenant, 'messages.body')).keyVersion).toBe(1);

    const consumer = keyCacheInvalidation({ kafka: kafka.kafka, keyring: reader, logger });
    // A service encrypting locally (crypto-client's EnvelopeEncryptor) listens the same way.
    const envelopes = new EnvelopeEncryptor({ source: writer });
    const listener = new KeyEventsSubscription({
      kafka: kafka.kafka,
      logger,
      groupPrefix: 'crypto-test.envelopes',
      onEvent: (event) => envelopes.handleKeyEvent(event),
    });
    await Promise.all([consumer.start(), listener.start()]);
    await Promise.all([consumer.joined, listener.joined]);
    const envelopeVersion = async () =>
      decodeKeyedHeader(
        parseEnvelope(await envelopes.encrypt(tenant, 'messages.body', Buffer.from('m'))).wrappedDataKey,
        KIND_DATA_KEY,
      ).version;
    expect(await envelopeVersion()).toBe(1);
    const relay = new OutboxRelay({
      producer: kafka.producer,
      logger,
      sources: async () => [writer.outboxSource],
      topicFor: (event) => kafkaTopic(event.tenant, 'keys'),
      // The fixture's keyring lives in a test database standing in for the platform database.
      platformDatabases: [writer.outboxSource.dbName],
    });
    try {
      await writer.rotate(tenant, 'default', { requestKey: 'test-slot' });
      expect((await reader.generateDataKey(tenant, 'messages.body')).keyVersion).toBe(1); // still cached
      expect(await relay.flush()).toBeGreaterThanOrEqual(1);

      const seen = await eventually(
        async () => (await reader.generateDataKey(tenant, 'messages.body')).keyVersion,
        (version) => version === 2,
      );
      expect(seen).toBe(2);
      expect(await eventually(envelopeVersion, (version) => version === 2)).toBe(2);
    } finally {
      await Promise.all([consumer.stop(), listener.stop()]);
    }

    const [message] = await readTopic(kafka.kafka, topic, 1);
    const event = parseEvent(CryptoKeyRotated, decodeEnvelope(message?.value ?? null));
    expect(event).toMatchObject({
      type: 'crypto.key.rotated.v1',
      tenant,
      payload: { keyName: 'default', previousVersion: 1, newVersion: 2, reason: 'requested' },
    });
    const doc = await fx.db.collection('tenant_keys').findOne({ tenant, record: 'version', version: 2 });
    expect(doc?._outboxPending).not.toBe(true);
  });
});
