/**
 * A send as messaging makes it (membership check, envelope encrypt, seq proposal and claim, the
 * projection, the outbox update, the Kafka produce right after the write), against the sum of its
 * floors measured in the same run: one Mongo insert, one Kafka produce (acks all), one in-process
 * envelope encrypt. Sequential sends, so the figures are latencies; the ratio is floor-sum p50 /
 * send p50 (issue 14's goal: send p50 <= 2 x the floor sum, i.e. ratio >= 0.5). The HTTP hop and
 * the gateway are left out here (the gateway's benchmark has them).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MESSAGE_BODY_PURPOSE } from '@parley/contracts';
import { createKeyring, MasterKeyring } from '@parley/keyring';
import { connectKafka, connectMongo, connectRedis, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { createMessagingDomain } from '@parley/messaging-service/src/components.ts';
import type { OutboxRelayLike } from '@parley/messaging-service/src/domain/outbox-publisher.ts';
import { immediatePublisher } from '@parley/messaging-service/src/domain/outbox-publisher.ts';
import { messagingSettingsSchema } from '@parley/messaging-service/src/settings.ts';
import { createMessagingRelay } from '@parley/messaging-service/src/workers/outbox-relay.ts';
import type { OutboxRelay } from '@parley/outbox';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import type { Benchmark } from '../harness.ts';

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

const benchmark: Benchmark = {
  name: 'messaging-send-latency',
  goal: 'send p50 <= 2 x (insert + produce + encrypt) p50, i.e. ratio >= 0.5',
  minRatio: 0.5,
  needsStack: true,
  async run(context) {
    const config = loadConfig(messagingSettingsSchema);
    const logger = createSilentLogger('bench');
    const mongo = await connectMongo(config.MONGO_URL, logger);
    const redis = await connectRedis(config.REDIS_URL, logger);
    const kafka = await connectKafka(kafkaSettingsFromConfig(config, 'bench'), logger);
    const tenant = `bs${randomUUID().slice(0, 8)}`;
    const topics = [kafkaTopic(tenant, 'messages'), kafkaTopic(tenant, 'members')];
    const platformDb = mongo.client.db(`parley_bench_messaging_${tenant}`);
    let relay: OutboxRelay | undefined;
    try {
      await kafka.admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
      });
      const keyring = createKeyring({
        db: platformDb,
        logger,
        masterKeys: MasterKeyring.fromKeys([{ id: 'bench', key: randomBytes(32) }]),
        source: 'bench',
      });
      await keyring.ensureIndexes();
      await keyring.ensureTenantKey(tenant);
      const publisher: OutboxRelayLike = {
        publishNow: (c, id, written, writing) =>
          relay ? immediatePublisher(relay).publishNow(c, id, written, writing) : Promise.resolve(),
      };
      const components = createMessagingDomain({
        mongo: mongo.client,
        keyring,
        publisher,
        seqVoidAfterMs: 10_000,
      });
      relay = createMessagingRelay({
        producer: kafka.producer,
        store: components.store,
        logger,
        intervalMs: 60_000,
        tenants: () => [tenant],
      });
      const caller = { tenant, userId: 'ann', roles: ['member'] };
      const room = (await components.conversations.create(caller, { kind: 'group', name: 'Bench' })).id;
      const text = 'y'.repeat(200);
      const floorDb = mongo.client.db(mongoDatabaseName(tenant)).collection('bench_floor');
      let n = 0;
      const timed = async (op: () => Promise<unknown>) => {
        const started = performance.now();
        await op();
        return performance.now() - started;
      };
      const send = () => components.messages.send(caller, room, { clientMessageId: `s-${n++}`, text });
      const insert = () =>
        floorDb.insertOne({ _id: randomUUID() as never, conversationId: room, text, at: new Date() });
      const produce = () =>
        kafka.producer.send({
          topic: topics[0] as string,
          acks: -1,
          messages: [{ key: `k${n}`, value: text }],
        });
      const encrypt = () =>
        components.encryptor.encrypt(tenant, MESSAGE_BODY_PURPOSE, Buffer.from(text), Buffer.from(`m${n}`));
      for (let i = 0; i < 30; i++) {
        await send();
        await insert();
        await produce();
        await encrypt();
      }
      const sends: number[] = [];
      const floors: number[] = [];
      const budgetMs = Math.max(4_000, context.roundMs * context.rounds);
      const started = performance.now();
      for (let round = 0; performance.now() - started < budgetMs; round++) {
        // Alternate which goes first, so neither side always inherits the other's warm caches.
        const floor = async () => (await timed(insert)) + (await timed(produce)) + (await timed(encrypt));
        if (round % 2 === 0) {
          sends.push(await timed(send));
          floors.push(await floor());
        } else {
          floors.push(await floor());
          sends.push(await timed(send));
        }
      }
      const sendP50 = quantile(sends, 0.5);
      const floorP50 = quantile(floors, 0.5);
      return {
        parley: { label: 'send p50 latency (inverse)', value: 1000 / sendP50, unit: 'sends/s sequential' },
        reference: {
          label: 'insert + produce + encrypt p50 (inverse)',
          value: 1000 / floorP50,
          unit: 'sends/s sequential',
        },
        details: {
          sends: sends.length,
          sendP50Ms: Number(sendP50.toFixed(2)),
          sendP99Ms: Number(quantile(sends, 0.99).toFixed(2)),
          floorP50Ms: Number(floorP50.toFixed(2)),
          floorP99Ms: Number(quantile(floors, 0.99).toFixed(2)),
        },
      };
    } finally {
      await relay?.stop();
      await kafka.admin.deleteTopics({ topics }).catch(() => {});
      await mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
      await platformDb.dropDatabase();
      await kafka.stop();
      await redis.stop();
      await mongo.stop();
    }
  },
};

export default benchmark;
