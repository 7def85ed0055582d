/**
 * Outgoing webhook deliveries/s (issue 19): message.created events produced to a tenant's
 * messages topic, read by the integrations service's consumer (enqueued in the tenant's
 * database), claimed and sent by its deliverer (the message body opened with the tenant's key,
 * signed by the Standard Webhooks scheme, POSTed through the egress guard to 127.0.0.1, which
 * WEBHOOK_ALLOWED_NETWORKS allows, and the attempt recorded), to a local HTTP receiver. The
 * reference, in the same run, is a plain loop of signed POSTs (standardwebhooks' sign, node:http
 * with keep-alive) of the same payloads to the same receiver, as many at once as the deliverer is
 * allowed (WEBHOOK_CONCURRENCY): the cost of the signing and the HTTP alone. Both rates are
 * measured at the receiver, from the first delivery of a batch to its last, so the consumer
 * group's start-up and the first sweep's wait are not counted as throughput (the batch's time
 * from its production is in the details). Every delivery is verified with the endpoint's secret
 * after each batch, outside the timing. Settings are the service's defaults except the allowed
 * network. Goal: >= 0.5 of the POST loop.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createEvent,
  MESSAGE_BODY_PURPOSE,
  MessageCreatedEvent,
  type WebhookPayload,
} from '@parley/contracts';
import { EnvelopeEncryptor } from '@parley/crypto-client';
import { integrationsSettingsSchema } from '@parley/integrations-service/settings';
import { openIntegrationsFixture } from '@parley/integrations-service/testing';
import { createKeyring, MasterKeyring } from '@parley/keyring';
import { connectKafka, connectMongo, connectRedis, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { kafkaTopic, mongoDatabaseName, tenantRuntimeKey, writeTenantRuntimeRecord } from '@parley/tenancy';
import { Webhook } from 'standardwebhooks';
import { type Benchmark, median, runPair } from '../harness.ts';

const BATCH = 400;
const WAIT_MS = 120_000;

interface Got {
  at: number;
  headers: Record<string, string>;
  body: string;
}

/** The receiver: keeps what came, by webhook-id, and wakes the batch waiting for it. */
class Receiver {
  readonly got = new Map<string, Got>();
  #want = 0;
  #done: (() => void) | undefined;
  readonly server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      if (!this.got.has(id))
        this.got.set(id, {
          at: performance.now(),
          headers: request.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      response.writeHead(204).end();
      if (this.got.size >= this.#want) this.#done?.();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Resolves once `count` distinct deliveries came since the last reset. */
  expect(count: number): Promise<void> {
    this.got.clear();
    this.#want = count;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.got.size} of ${count} deliveries in ${WAIT_MS} ms`)),
        WAIT_MS,
      );
      this.#done = () => {
        clearTimeout(timer);
        this.#done = undefined;
        resolve();
      };
    });
  }

  /** Deliveries/s from the first arrival to the last, after verifying each with `secret`. */
  rate(secret: string, ids: Set<string>): { perSecond: number; first: number; last: number } {
    const webhook = new Webhook(secret);
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const [id, got] of this.got) {
      if (!ids.has(id)) throw new Error(`an unexpected delivery ${id}`);
      webhook.verify(got.body, got.headers);
      first = Math.min(first, got.at);
      last = Math.max(last, got.at);
    }
    return { perSecond: ((this.got.size - 1) * 1000) / (last - first), first, last };
  }
}

function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const benchmark: Benchmark = {
  name: 'integrations-webhooks',
  goal: 'outgoing webhook deliveries/s (Kafka event to signed POST received) >= 0.5 x a signed POST loop',
  minRatio: 0.5,
  needsStack: true,
  async run(context) {
    const settings = loadConfig(integrationsSettingsSchema);
    const logger = createSilentLogger('bench');
    const mongo = await connectMongo(settings.MONGO_URL, logger);
    const redis = await connectRedis(settings.REDIS_URL, logger);
    const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'bench-integrations'), logger);
    const tenant = `bw${randomUUID().slice(0, 8)}`;
    const topic = kafkaTopic(tenant, 'messages');
    const platformDb = mongo.client.db(`parley_bench_webhooks_${tenant}`);
    const receiver = new Receiver();
    const url = await receiver.listen();
    const agent = new Agent({ keepAlive: true, maxSockets: settings.WEBHOOK_CONCURRENCY });
    let integrations: Awaited<ReturnType<typeof openIntegrationsFixture>> | undefined;
    try {
      await kafka.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await writeTenantRuntimeRecord(redis.client, tenant, {
        status: 'Ready',
        plan: 'team',
        quotas: { users: 10, storageGiB: 1, messagesPerSecond: 10 },
        generation: 1,
      });
      const keyring = createKeyring({
        db: platformDb,
        logger,
        masterKeys: MasterKeyring.fromKeys([{ id: 'bench', key: randomBytes(32) }]),
        source: 'bench',
      });
      await keyring.ensureIndexes();
      await keyring.ensureTenantKey(tenant);
      const encryptor = new EnvelopeEncryptor({
        source: {
          generateDataKey: (t, purpose) => keyring.generateDataKey(t, purpose),
          decryptDataKey: (t, purpose, wrapped) => keyring.decryptDataKey(t, purpose, wrapped),
        },
      });
      integrations = await openIntegrationsFixture({
        tenants: [tenant],
        mongo,
        redis,
        keyring,
        kafka,
        messagingUrl: 'http://127.0.0.1:9',
        serviceToken: 'bench-integrations-token-0123456789',
        callerToken: 'bench-integrations-token-0123456789',
        settings: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32' },
      });
      const endpoint = await integrations.components.webhookEndpoints.create(tenant, 'bench', {
        url,
        eventTypes: ['message.created'],
      });
      const conversationId = `c${randomUUID().slice(0, 8)}`;
      const text = 'x'.repeat(200);
      let seq = 0;

      /** A batch of message.created events, sealed as messaging seals them. */
      const events = async () => {
        const batch = [];
        for (let n = 0; n < BATCH; n++) {
          const messageId = randomUUID();
          seq++;
          const sealed = await encryptor.encrypt(
            tenant,
            MESSAGE_BODY_PURPOSE,
            Buffer.from(JSON.stringify({ text })),
            Buffer.from(messageId),
          );
          batch.push({ messageId, seq, sealed: sealed.toString('base64') });
        }
        return batch;
      };

      const parley = async () => {
        const batch = await events();
        const now = new Date().toISOString();
        const envelopes = batch.map((m) =>
          createEvent(MessageCreatedEvent, {
            tenant,
            source: 'messaging',
            payload: {
              conversationId,
              messageId: m.messageId,
              seq: m.seq,
              messageSeq: m.seq,
              kind: 'message.created',
              senderId: 'bench-user',
              actorId: 'bench-user',
              at: now,
              createdAt: now,
              deleted: false,
              sealed: m.sealed,
              mentions: { users: [], channel: false },
            },
          }),
        );
        const ids = new Set(envelopes.map((e) => e.id));
        const arrived = receiver.expect(BATCH);
        const produced = performance.now();
        await kafka.producer.send({
          topic,
          messages: envelopes.map((e) => ({ key: conversationId, value: JSON.stringify(e) })),
        });
        await arrived;
        const { perSecond, last } = receiver.rate(endpoint.secret, ids);
        return { perSecond, batchMs: last - produced };
      };

      const reference = async () => {
        const webhook = new Webhook(endpoint.secret);
        const now = new Date();
        const payloads = Array.from({ length: BATCH }, () => {
          const id = randomUUID();
          const payload: WebhookPayload = {
            type: 'message.created',
            timestamp: now.toISOString(),
            data: {
              conversationId,
              messageId: id,
              senderId: 'bench-user',
              createdAt: now.toISOString(),
              text,
            },
          };
          return { id, body: JSON.stringify(payload) };
        });
        const ids = new Set(payloads.map((p) => p.id));
        const arrived = receiver.expect(BATCH);
        let next = 0;
        const loop = async () => {
          while (next < payloads.length) {
            const p = payloads[next++] as { id: string; body: string };
            const timestamp = new Date();
            const status = await post(
              agent,
              url,
              {
                'webhook-id': p.id,
                'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
                'webhook-signature': webhook.sign(p.id, timestamp, p.body),
              },
              p.body,
            );
            if (status !== 204) throw new Error(`the receiver answered ${status}`);
          }
        };
        await Promise.all(Array.from({ length: settings.WEBHOOK_CONCURRENCY }, loop));
        await arrived;
        return receiver.rate(endpoint.secret, ids).perSecond;
      };

      // Warm-up: the consumer group's first records (slow on a shared broker), JIT, the keep-alive pools.
      await parley();
      await reference();
      const parleyRates: number[] = [];
      const referenceRates: number[] = [];
      const batchMs: number[] = [];
      for (let round = 0; round < context.rounds; round++) {
        const [p, r] = await runPair(round, parley, reference);
        parleyRates.push(p.perSecond);
        batchMs.push(p.batchMs);
        referenceRates.push(r);
      }
      const deliveries = await integrations.components.webhookDeliveries
        .collection(tenant)
        .countDocuments({ status: 'delivered' });
      return {
        parley: {
          label: 'event to signed delivery received',
          value: median(parleyRates),
          unit: 'deliveries/s',
        },
        reference: {
          label: `signed POST loop, ${settings.WEBHOOK_CONCURRENCY} at once`,
          value: median(referenceRates),
          unit: 'deliveries/s',
        },
        details: {
          batch: BATCH,
          rounds: context.rounds,
          concurrency: settings.WEBHOOK_CONCURRENCY,
          sweepMs: settings.WEBHOOK_SWEEP_MS,
          batchFromProductionMsMedian: Math.round(median(batchMs)),
          deliveredInLog: deliveries,
          parleyRates: parleyRates.map((r) => Math.round(r)).join(' '),
          referenceRates: referenceRates.map((r) => Math.round(r)).join(' '),
        },
      };
    } finally {
      await integrations?.close();
      agent.destroy();
      receiver.server.closeAllConnections();
      await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
      await kafka.admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await redis.client.del(tenantRuntimeKey(tenant));
      await mongo.client.db(mongoDatabaseName(tenant)).dropDatabase();
      await platformDb.dropDatabase();
      await kafka.stop();
      await redis.stop();
      await mongo.stop();
    }
  },
};

export default benchmark;
