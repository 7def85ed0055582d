// Every change reaches the tenant's topics through the outbox on the real Kafka, published right
// after the write: the messages topic is a changelog keyed by message id whose records carry no
// readable content, a delete ends in a tombstone, and compaction then leaves no copy of deleted or
// edited-away content in the topic (read from offset 0 with admin credentials).
import { randomUUID } from 'node:crypto';
import { type EventEnvelope, type MessageChangedPayload, MessageErasedMarker } from '@parley/contracts';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import type { OutboxRelay } from '@parley/outbox';
import {
  LegalHoldStore,
  MESSAGE_ERASURES_COLLECTION,
  messagesPurgeTarget,
  parseRetentionPolicy,
  RetentionPolicyStore,
  runPurge,
} from '@parley/retention';
import { kafkaTopic } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { immediatePublisher } from './domain/outbox-publisher.ts';
import { messagingSettingsSchema } from './settings.ts';
import { MessagingStore } from './store/collections.ts';
import { type MessagingFixture, openMessagingFixture, uniqueTenant } from './testing/messaging-fixture.ts';
import { createMessagingRelay } from './workers/outbox-relay.ts';

interface Record {
  key: string;
  value: string | null;
  offset: string;
}

let f: MessagingFixture;
let kafka: KafkaConnection;
let relay: OutboxRelay;
const tenant = uniqueTenant('ev');
const messagesTopic = kafkaTopic(tenant, 'messages');
const membersTopic = kafkaTopic(tenant, 'members');

beforeAll(async () => {
  const config = loadConfig(messagingSettingsSchema);
  kafka = await connectKafka(kafkaSettingsFromConfig(config, 'messaging-test'), createSilentLogger());
  // The operator's messages config, with bounds short enough for a test (production: 30 min each).
  await kafka.admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: messagesTopic,
        numPartitions: 1,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact,delete' },
          { name: 'max.compaction.lag.ms', value: '1000' },
          { name: 'segment.ms', value: '1000' },
          { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          { name: 'delete.retention.ms', value: '600000' },
        ],
      },
      { topic: membersTopic, numPartitions: 1 },
    ],
  });
  let late: OutboxRelay | undefined;
  f = await openMessagingFixture({
    tenant,
    publisher: {
      publishNow: (collection, id, written, writing) =>
        late ? immediatePublisher(late).publishNow(collection, id, written, writing) : Promise.resolve(),
    },
  });
  relay = createMessagingRelay({
    producer: kafka.producer,
    store: new MessagingStore(f.mongo.client),
    logger: createSilentLogger(),
    intervalMs: 60_000,
    tenants: () => [tenant],
  });
  late = relay;
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await kafka?.admin.deleteTopics({ topics: [messagesTopic, membersTopic] }).catch(() => {});
  await kafka?.stop();
  await f?.close();
});

/** Every record of a topic from offset 0 up to its end now, by a consumer of its own. */
async function readAll(topic: string): Promise<Record[]> {
  const [end] = await kafka.admin.fetchTopicOffsets(topic);
  const high = Number(end?.high ?? 0);
  if (high === 0) return [];
  const consumer = kafka.kafka.consumer({ groupId: `messaging-test.${randomUUID()}` });
  const records: Record[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        records.push({
          key: message.key?.toString() ?? '',
          value: message.value ? message.value.toString() : null,
          offset: message.offset,
        });
        if (Number(message.offset) + 1 >= high) done();
      },
    });
    await Promise.race([
      finished,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`${topic}: not read to ${high}`)), 30_000),
      ),
    ]);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

const payloadOf = (record: Record) =>
  JSON.parse(record.value as string) as EventEnvelope<MessageChangedPayload>;

describe('events', () => {
  it('go out right after each write, keyed by message id, sealed, and a delete ends in a tombstone', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Events', memberIds: ['bob'] })
    ).json().id;
    const sent = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: 'e1',
        text: 'top secret plan alpha',
      })
    ).json();
    await f.call('ann', 'PATCH', `/conversations/${room}/messages/${sent.id}`, {
      text: 'harmless plan beta',
    });
    await f.call('bob', 'PUT', `/conversations/${room}/messages/${sent.id}/reactions/eyes`);
    await f.call('ann', 'DELETE', `/conversations/${room}/messages/${sent.id}`);
    // No relay pass ran (its interval is a minute): what is there was published by the writes.
    const records = (await readAll(messagesTopic)).filter((r) => r.key === sent.id);
    expect(records.map((r) => (r.value === null ? 'tombstone' : payloadOf(r).type))).toEqual([
      'messaging.message.created.v1',
      'messaging.message.edited.v1',
      'messaging.message.reacted.v1',
      'messaging.message.deleted.v1',
      'tombstone',
    ]);
    const events = records.filter((r) => r.value !== null).map(payloadOf);
    expect(events.map((e) => e.payload.seq)).toEqual([1, 2, 3, 4]);
    expect(events.every((e) => e.tenant === tenant && e.payload.conversationId === room)).toBe(true);
    for (const record of records) expect(record.value ?? '').not.toMatch(/secret|harmless|plan/);
    // The sealed bodies are the texts, under the tenant key.
    const opened = await Promise.all(
      events
        .filter((e) => e.payload.sealed)
        .map((e) => f.components.sealer.open(tenant, sent.id, e.payload.sealed as string)),
    );
    expect(opened.map((b) => b.text)).toEqual([
      'top secret plan alpha',
      'harmless plan beta',
      'harmless plan beta',
    ]);
    expect(events.at(-1)?.payload).toMatchObject({ deleted: true });
    expect(events.at(-1)?.payload.sealed).toBeUndefined();
    // Nothing is left pending in the outboxes (the writes' acknowledgements ran in the background).
    await relay.settled();
    expect(await f.db.collection('message_log').countDocuments({ _outboxPending: true })).toBe(0);
    // Conversation and membership changes went to the members topic.
    const members = (await readAll(membersTopic)).map(
      (r) => JSON.parse(r.value as string) as EventEnvelope<{ conversationId: string; userId?: string }>,
    );
    const ofRoom = members.filter((e) => e.payload.conversationId === room);
    expect(ofRoom.map((e) => e.type).sort()).toEqual([
      'messaging.conversation.created.v1',
      'messaging.member.changed.v1',
      'messaging.member.changed.v1',
    ]);
  }, 60_000);

  it('after compaction, no copy of deleted or edited-away content is left in the topic', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Compaction', memberIds: ['bob'] })
    ).json().id;
    const gone = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: 'c1',
        text: 'delete me entirely',
      })
    ).json();
    const edited = (
      await f.call('bob', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: 'c2',
        text: 'first draft words',
      })
    ).json();
    await f.call('bob', 'PATCH', `/conversations/${room}/messages/${edited.id}`, { text: 'final words' });
    await f.call('ann', 'DELETE', `/conversations/${room}/messages/${gone.id}`);

    const leftovers = async () => {
      const texts: string[] = [];
      let goneValues = 0;
      for (const record of await readAll(messagesTopic)) {
        if (record.value === null) continue;
        const event = payloadOf(record);
        if (event.type === MessageErasedMarker.type) continue;
        if (record.key === gone.id) goneValues++;
        if (event.payload.sealed && (record.key === gone.id || record.key === edited.id))
          texts.push((await f.components.sealer.open(tenant, record.key, event.payload.sealed)).text);
      }
      return { texts, goneValues };
    };
    const deadline = Date.now() + 150_000;
    let state = await leftovers();
    let round = 0;
    while (Date.now() < deadline && (state.goneValues > 0 || state.texts.includes('first draft words'))) {
      // A later record rolls the segment holding the old ones, so the cleaner may compact it.
      await f.call('ann', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: `roll-${round++}`,
        text: 'tick',
      });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      state = await leftovers();
    }
    expect(state.goneValues).toBe(0);
    expect(state.texts).not.toContain('delete me entirely');
    expect(state.texts).not.toContain('first draft words');
    expect(state.texts).toContain('final words');
    // The tombstone is what remains of the deleted message (kept delete.retention.ms for slow readers).
    expect((await readAll(messagesTopic)).some((r) => r.key === gone.id && r.value === null)).toBe(true);
  }, 200_000);

  it('a retention purge removes an expired message everywhere in Mongo, honours holds, and tombstones it in the topic', async () => {
    const room = (
      await f.call('ann', 'POST', '/conversations', { kind: 'group', name: 'Retention', memberIds: ['bob'] })
    ).json().id;
    const old = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: 'p1',
        text: 'ancient words',
      })
    ).json();
    await f.call('ann', 'PATCH', `/conversations/${room}/messages/${old.id}`, {
      text: 'ancient words, edited',
    });
    await f.call('bob', 'PUT', `/conversations/${room}/messages/${old.id}/reactions/ok`);
    const held = (
      await f.call('bob', 'POST', `/conversations/${room}/messages`, {
        clientMessageId: 'p2',
        text: 'under hold',
      })
    ).json();
    const young = (
      await f.call('ann', 'POST', `/conversations/${room}/messages`, { clientMessageId: 'p3', text: 'young' })
    ).json();
    // Age two of them, as if sent 40 days ago.
    const longAgo = new Date(Date.now() - 40 * 86_400_000);
    await f.db
      .collection('messages')
      .updateMany({ _id: { $in: [old.id, held.id] } } as never, { $set: { createdAt: longAgo } });
    await new LegalHoldStore(f.mongo.client, tenant).place({
      scope: { kind: 'person', userId: 'bob' },
      reason: 'case',
      setBy: 'counsel',
    });
    const policies = new RetentionPolicyStore(f.mongo.client, tenant);
    await policies.put(
      parseRetentionPolicy({
        name: 'default',
        dryRun: false,
        rules: [{ resource: 'messages', maxAgeSeconds: 30 * 86_400 }],
      }),
    );
    const policy = await policies.get('default');
    if (!policy) throw new Error('policy not stored');
    const holds = new LegalHoldStore(f.mongo.client, tenant);
    const run = await runPurge(policy, {
      tenant,
      targets: { messages: messagesPurgeTarget(f.mongo.client, tenant) },
      holds: () => holds.active(),
      batchSize: 10,
      pauseMs: 0,
    });
    expect(run.counts.messages).toMatchObject({ deleted: 1, skippedHeld: 1 });
    const left = (await f.db.collection('messages').find({ conversationId: room }).toArray())
      .map((m) => m._id)
      .sort();
    expect(left).toEqual([held.id, young.id].sort());
    expect(await f.db.collection('message_edits').countDocuments({ messageId: old.id })).toBe(0);
    expect(await f.db.collection('message_reactions').countDocuments({ messageId: old.id })).toBe(0);
    // The history and the changes no longer show it.
    const page = (await f.call('ann', 'GET', `/conversations/${room}/messages`)).json();
    expect(page.messages.map((m: { id: string }) => m.id)).not.toContain(old.id);
    const changes = (await f.call('ann', 'GET', `/conversations/${room}/changes?since=0`)).json();
    expect(
      changes.changes.filter(
        (c: { messageId?: string; message?: unknown }) => c.messageId === old.id && c.message,
      ),
    ).toEqual([]);
    // Messaging's relay sweeps the tombstone request into the topic.
    await relay.flush();
    expect(await f.db.collection(MESSAGE_ERASURES_COLLECTION).countDocuments({ _outboxPending: true })).toBe(
      0,
    );
    const records = (await readAll(messagesTopic)).filter((r) => r.key === old.id);
    expect(records.at(-1)?.value).toBeNull();
  }, 60_000);
});
