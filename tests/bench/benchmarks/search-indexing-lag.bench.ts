/**
 * Indexing lag (issue 16): from a message's creation to it being searchable, at 200 messages/s.
 * Message events are produced to the tenant's messages topic at a steady 200/s (10 every 50 ms,
 * as messaging's relay publishes in batches), bodies sealed with the tenant's key beforehand (as
 * messaging seals at the write), the envelope's time and the message's createdAt set just before
 * the produce. The search service's consumer (in this process) reads them, opens each body with
 * the keyring and bulk-writes the tenant's index; a poller asks Elasticsearch every 25 ms which of
 * the pending ids a search finds (the index's 1 s refresh), and a message's lag ends there.
 * Messaging's own write and outbox relay are not in the figure (messaging-send measures them).
 *
 * The goal is absolute (p99 <= 2 s). The reference, for scale, is the floor Elasticsearch sets:
 * the same documents written straight to the same index at the same pace (no Kafka, no
 * decryption), timed by the same poller. Rounds of the two alternate (runPair).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventEnvelope, MessageChangedPayload } from '@parley/contracts';
import { connectKafka, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { openMessagingFixture, SERVICE_TOKEN } from '@parley/messaging-service/testing';
import { searchSettingsSchema } from '@parley/search-service/settings';
import { openSearchFixture } from '@parley/search-service/testing';
import { kafkaTopic, searchIndexName } from '@parley/tenancy';
import { type Benchmark, percentile, runPair } from '../harness.ts';

const PER_TICK = 10;
const TICK_MS = 50; // 10 per 50 ms: 200 messages/s
const ROUND_MESSAGES = 1_000; // 5 s of load per round
const ROUNDS = 2;
const POLL_MS = 25;

const benchmark: Benchmark = {
  name: 'search-indexing-lag',
  goal: 'message created to searchable at 200 messages/s, p99 <= 2 s',
  needsStack: true,
  async run() {
    const logger = createSilentLogger('bench');
    const kafka = await connectKafka(
      kafkaSettingsFromConfig(loadConfig(searchSettingsSchema), 'bench-search-lag'),
      logger,
    );
    const messaging = await openMessagingFixture();
    const tenant = messaging.tenant;
    const topic = kafkaTopic(tenant, 'messages');
    const index = searchIndexName(tenant);
    let search: Awaited<ReturnType<typeof openSearchFixture>> | undefined;
    try {
      await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
      search = await openSearchFixture({
        tenant,
        keyring: messaging.keyring,
        mongo: messaging.mongo,
        redis: messaging.redis,
        kafka,
        messagingUrl,
        serviceToken: SERVICE_TOKEN,
      });
      const { es } = search.components;
      const searchIndex = search.components.index;
      await searchIndex.ensure(tenant);
      const conversationId = randomUUID();
      let seq = 0;
      /** The rate each measured stretch actually produced at (messages/s). */
      const paced: number[] = [];
      const sealer = messaging.components.sealer;

      /** Sealed ahead of the load, so the pace is the produce's alone. */
      const prepare = async (count: number) => {
        const prepared: { messageId: string; seq: number; sealed: string }[] = [];
        for (let i = 0; i < count; i++) {
          const messageId = randomUUID();
          const sealed = await sealer.seal(tenant, messageId, { text: `lag probe ${messageId} kestrel` });
          prepared.push({ messageId, seq: ++seq, sealed });
        }
        return prepared;
      };
      const payloadOf = (m: { messageId: string; seq: number; sealed: string }, at: string) =>
        ({
          conversationId,
          messageId: m.messageId,
          seq: m.seq,
          messageSeq: m.seq,
          kind: 'message.created',
          senderId: 'alice',
          actorId: 'alice',
          at,
          createdAt: at,
          deleted: false,
          sealed: m.sealed,
          mentions: { users: [], channel: false },
        }) satisfies MessageChangedPayload;

      /** Paces `write` at 200/s over `count` messages and returns each message's created-to-searchable lag (ms). */
      const measure = async (
        count: number,
        write: (batch: { messageId: string; seq: number; sealed: string }[], at: Date) => Promise<void>,
      ): Promise<number[]> => {
        const prepared = await prepare(count);
        const createdAt = new Map<string, number>();
        const lags: number[] = [];
        let producing = true;
        const poller = (async () => {
          while (producing || createdAt.size > 0) {
            const pending = [...createdAt.keys()];
            if (pending.length > 0) {
              const { body } = await es.search({
                index,
                body: {
                  size: pending.length,
                  _source: ['messageId'],
                  query: {
                    bool: { filter: [{ terms: { messageId: pending } }, { term: { deleted: false } }] },
                  },
                },
              });
              const now = Date.now();
              for (const hit of (body as { hits: { hits: { _source: { messageId: string } }[] } }).hits
                .hits) {
                const started = createdAt.get(hit._source.messageId);
                if (started === undefined) continue;
                lags.push(now - started);
                createdAt.delete(hit._source.messageId);
              }
            }
            await sleep(POLL_MS);
          }
        })();
        const started = performance.now();
        for (let i = 0, tick = 0; i < prepared.length; i += PER_TICK, tick++) {
          const batch = prepared.slice(i, i + PER_TICK);
          const at = new Date();
          for (const m of batch) createdAt.set(m.messageId, at.getTime());
          await write(batch, at);
          const next = started + (tick + 1) * TICK_MS;
          await sleep(Math.max(0, next - performance.now()));
        }
        producing = false;
        paced.push((prepared.length * 1000) / (performance.now() - started));
        await Promise.race([
          poller,
          sleep(60_000).then(() => {
            throw new Error(`${createdAt.size} messages never became searchable`);
          }),
        ]);
        return lags;
      };

      const throughSearch = (count: number) =>
        measure(count, async (batch, at) => {
          const time = at.toISOString();
          await kafka.producer.send({
            topic,
            messages: batch.map((m) => ({
              key: m.messageId,
              value: JSON.stringify({
                id: randomUUID(),
                type: 'messaging.message.created.v1',
                tenant,
                time,
                schemaVersion: 1,
                source: 'messaging',
                payload: payloadOf(m, time),
              } satisfies EventEnvelope<MessageChangedPayload>),
            })),
          });
        });
      const straightToIndex = (count: number) =>
        measure(count, async (batch, at) => {
          const time = at.toISOString();
          await searchIndex.apply(
            batch.map((m) => ({
              kind: 'upsert' as const,
              tenant,
              document: {
                messageId: m.messageId,
                conversationId,
                senderId: 'alice',
                text: `lag probe ${m.messageId} kestrel`,
                createdAt: time,
                changeSeq: m.seq,
                deleted: false,
                hasAttachment: false,
              },
            })),
          );
        });

      // Warm-up (the consumer's join, the data key's first unwrap, JIT): thrown away.
      await throughSearch(100);
      await straightToIndex(100);
      const parley: number[] = [];
      const reference: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const [p, r] = await runPair(
          round,
          () => throughSearch(ROUND_MESSAGES),
          () => straightToIndex(ROUND_MESSAGES),
        );
        parley.push(...p);
        reference.push(...r);
      }
      const p99 = percentile(parley, 99);
      const referenceP99 = percentile(reference, 99);
      return {
        parley: { label: 'created -> searchable p99 (inverse)', value: 1000 / p99, unit: '1/s' },
        reference: {
          label: 'straight to the index -> searchable p99 (inverse)',
          value: 1000 / referenceP99,
          unit: '1/s',
        },
        goalMet: p99 <= 2_000,
        details: {
          messages: parley.length,
          ratePerSecond: (PER_TICK * 1000) / TICK_MS,
          slowestAchievedRatePerSecond: Math.round(Math.min(...paced)),
          p50Ms: Math.round(percentile(parley, 50)),
          p99Ms: Math.round(p99),
          maxMs: Math.round(Math.max(...parley)),
          referenceP50Ms: Math.round(percentile(reference, 50)),
          referenceP99Ms: Math.round(referenceP99),
        },
      };
    } finally {
      await search?.close();
      await kafka.admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await messaging.close();
      await kafka.stop();
    }
  },
};

export default benchmark;
