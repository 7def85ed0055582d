/**
 * Issue 15's delivery benchmark: a message sent to messaging, received by a client connected to
 * the *other* socket replica (two replica processes, as pods run them), at 500 messages/s
 * sustained for 30 s (open loop: sends start on schedule whether or not earlier ones finished,
 * so a slow system shows up as latency, not as a politely lower rate).
 *
 * The reference is the sum of the path's component floors, measured in the same run in
 * alternating pairs: the send's own floor (one Mongo insert + one Kafka produce with acks=all +
 * one in-process envelope encrypt, as in messaging-send-latency), one Redis publish reaching a
 * subscriber, and one websocket echo on a raw `ws` server.
 *
 * Goal: p99 <= 50 ms, p50 <= 3 x the floor sum (ratio floor/p50 >= 1/3), 0 lost, 0 duplicated.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { MESSAGE_BODY_PURPOSE } from '@parley/contracts';
import { EnvelopeEncryptor } from '@parley/crypto-client';
import { createKeyring, MasterKeyring } from '@parley/keyring';
import { connectKafka, connectMongo, connectRedis, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { socketSettingsSchema } from '@parley/socket-service/settings';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import { WebSocket, WebSocketServer } from 'ws';
import type { ServiceProcess } from '../../integration/service-process.ts';
import { type Listening, serveJwks, startSocketProcess } from '../../integration/socket-processes.ts';
import {
  type Client,
  openSocketBackend,
  type SocketBackend,
  waitFor,
} from '../../integration/socket-stack.ts';
import { type Benchmark, percentile } from '../harness.ts';

const RATE_PER_SECOND = 500;
// PARLEY_BENCH_SOCKET_SECONDS shortens the run while working on it; the goal is stated for 30 s.
const SUSTAIN_MS = Number(process.env.PARLEY_BENCH_SOCKET_SECONDS ?? 30) * 1000;
const CONVERSATIONS = 20;
const FLOOR_SAMPLES = 400;
const MAX_IN_FLIGHT = 16;
const progress = (text: string) => process.stderr.write(`  socket-delivery: ${text}\n`);

const timed = async (operation: () => Promise<unknown>) => {
  const started = performance.now();
  await operation();
  return performance.now() - started;
};

/** One Redis publish until the subscriber has it. */
async function redisFloor(url: string) {
  const logger = createSilentLogger('bench');
  const publisher = await connectRedis(url, logger);
  const subscriber = await connectRedis(url, logger);
  const channel = `bench:socket-delivery:${randomUUID()}`;
  let arrived: (() => void) | undefined;
  await subscriber.client.subscribe(channel);
  subscriber.client.on('message', () => arrived?.());
  return {
    once: () =>
      timed(async () => {
        const got = new Promise<void>((resolve) => {
          arrived = resolve;
        });
        await publisher.client.publish(channel, 'x'.repeat(200));
        await got;
      }),
    close: async () => {
      await subscriber.stop();
      await publisher.stop();
    },
  };
}

/** One message over a raw websocket to an echo server and back. */
async function websocketFloor() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
  await new Promise((resolve) => server.once('listening', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
  let echoed: (() => void) | undefined;
  client.on('message', () => echoed?.());
  return {
    once: () =>
      timed(async () => {
        const got = new Promise<void>((resolve) => {
          echoed = resolve;
        });
        client.send('x'.repeat(200));
        await got;
      }),
    close: async () => {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Insert + produce (acks=all) + encrypt, as messaging-send-latency measures the send's floor. */
async function sendFloor(tenant: string) {
  const config = loadConfig(socketSettingsSchema);
  const logger = createSilentLogger('bench');
  const mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl) throw new Error('MONGO_URL is not set (the stack env sets it)');
  const mongo = await connectMongo(mongoUrl, logger);
  const kafka = await connectKafka(kafkaSettingsFromConfig(config, 'bench-floor'), logger);
  const platformDb = mongo.client.db(`parley_bench_socket_${tenant}`);
  const keyring = createKeyring({
    db: platformDb,
    logger,
    masterKeys: MasterKeyring.fromKeys([{ id: 'bench', key: randomBytes(32) }]),
    source: 'bench',
  });
  await keyring.ensureIndexes();
  await keyring.ensureTenantKey(tenant);
  // What messaging's components wire: the envelope over the keyring's data keys.
  const encryptor = new EnvelopeEncryptor({
    source: {
      generateDataKey: (t, purpose) => keyring.generateDataKey(t, purpose),
      decryptDataKey: (t, purpose, wrapped) => keyring.decryptDataKey(t, purpose, wrapped),
    },
  });
  const floorDb = mongo.client.db(mongoDatabaseName(tenant)).collection('bench_floor');
  const text = 'y'.repeat(200);
  const topic = kafkaTopic(tenant, 'messages');
  let n = 0;
  return {
    once: async () => {
      n += 1;
      return (
        (await timed(() => floorDb.insertOne({ _id: randomUUID() as never, text, at: new Date() }))) +
        (await timed(() =>
          kafka.producer.send({ topic, acks: -1, messages: [{ key: `floor-${n}`, value: text }] }),
        )) +
        (await timed(() =>
          encryptor.encrypt(tenant, MESSAGE_BODY_PURPOSE, Buffer.from(text), Buffer.from(`m${n}`)),
        ))
      );
    },
    close: async () => {
      await platformDb.dropDatabase();
      await kafka.stop();
      await mongo.stop();
    },
  };
}

const benchmark: Benchmark = {
  name: 'socket-delivery-latency',
  goal: 'send -> other replica at 500/s for 30 s: p99 <= 50 ms, p50 <= 3 x floor sum, 0 lost, 0 duplicated',
  minRatio: 1 / 3,
  needsStack: true,
  async run() {
    const backend: SocketBackend = await openSocketBackend();
    let jwks: Listening | undefined;
    const replicas: ServiceProcess[] = [];
    const closers: (() => Promise<void>)[] = [];
    try {
      progress('backend up');
      jwks = await serveJwks(backend.jwks);
      replicas.push(
        ...(await Promise.all([
          startSocketProcess(backend, jwks, 'bench-a'),
          startSocketProcess(backend, jwks, 'bench-b'),
        ])),
      );
      const [replicaA, replicaB] = replicas as [ServiceProcess, ServiceProcess];
      progress('replica processes ready');
      const sender = `sender-${randomUUID().slice(0, 6)}`;
      const receiver = `receiver-${randomUUID().slice(0, 6)}`;
      // The load is a tenant's, spread over conversations: one conversation's sends serialize on
      // its seq (that is the ordering promise), and 500/s in one room is not a workload.
      const conversations: string[] = [];
      for (let c = 0; c < CONVERSATIONS; c++) {
        const created = await backend.call(sender, 'POST', '/conversations', {
          kind: 'group',
          name: `delivery bench ${c}`,
          memberIds: [receiver],
        });
        conversations.push(created.id);
      }
      // The sender's own device sits on replica A; the receiver's on B: the message must cross.
      await backend.connect(replicaA.url, sender);
      const onB: Client = await backend.connect(replicaB.url, receiver);
      for (const id of conversations) onB.live.track(id, 0);

      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      const seen = new Map<string, number>();
      // Every change the client library hands the app counts: a duplicate there is one a person sees.
      let cursor = 0;
      const collect = () => {
        const now = performance.now();
        for (; cursor < onB.received.length; cursor++) {
          const change = onB.received[cursor]?.change;
          if (change?.kind !== 'message.created') continue;
          const text = change.message?.text ?? '';
          seen.set(text, (seen.get(text) ?? 0) + 1);
          const started = sentAt.get(text);
          if (started !== undefined && seen.get(text) === 1) latencies.push(now - started);
        }
      };
      const collector = setInterval(collect, 1);
      closers.push(async () => clearInterval(collector));

      let next = 0;
      const send = (text: string) =>
        backend.call(sender, 'POST', `/conversations/${conversations[next++ % CONVERSATIONS]}/messages`, {
          clientMessageId: randomUUID(),
          text,
        });
      progress('replicas up, clients ready; warming up');
      // Warm up (JIT, connections, consumer assignment) until B delivers live.
      for (let probe = 1; ; probe++) {
        await send(`probe ${probe}`);
        const arrived = await waitFor(() => seen.has(`probe ${probe}`), 3_000).then(
          () => true,
          () => false,
        );
        if (arrived) break;
        if (probe > 20) throw new Error('replica B never delivered live');
      }
      for (let i = 0; i < 50; i++) await send(`warm ${i}`);
      await waitFor(() => seen.has('warm 49'), 20_000, 'warm-up delivered');

      progress(`sustaining ${RATE_PER_SECOND}/s for ${SUSTAIN_MS / 1000} s`);
      // Open loop: one send due every 1000/RATE ms, latency counted from when it was due. At most
      // MAX_IN_FLIGHT sends run at once (later ones queue and their wait counts as latency): the
      // local FerretDB wedges for good when ~50 operations need its PostgreSQL pool at once.
      const intervalMs = 1000 / RATE_PER_SECOND;
      const texts: string[] = [];
      const inFlight = new Set<Promise<unknown>>();
      let failed = 0;
      let maxQueued = 0;
      const queue: string[] = [];
      const pump = () => {
        while (inFlight.size < MAX_IN_FLIGHT && queue.length > 0) {
          const text = queue.shift() as string;
          const call: Promise<unknown> = send(text)
            .catch(() => {
              failed += 1;
            })
            .finally(() => {
              inFlight.delete(call);
              pump();
            });
          inFlight.add(call);
        }
      };
      const started = performance.now();
      for (let i = 0; performance.now() - started < SUSTAIN_MS; i++) {
        const due = started + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        const text = `load ${i}`;
        texts.push(text);
        sentAt.set(text, due);
        queue.push(text);
        maxQueued = Math.max(maxQueued, queue.length);
        pump();
      }
      // A system slower than the rate drains its queue afterwards, for at most a minute; what is
      // still queued then was never sent (reported, and the goal is missed).
      const drainDeadline = performance.now() + 60_000;
      while ((queue.length > 0 || inFlight.size > 0) && performance.now() < drainDeadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const unsent = new Set(queue.splice(0));
      while (inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const sendingMs = performance.now() - started;
      texts.splice(0, texts.length, ...texts.filter((t) => !unsent.has(t)));
      await waitFor(() => texts.every((t) => seen.has(t)), 30_000, 'every message delivered').catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      collect();
      const lost = texts.filter((t) => !seen.has(t)).length;
      const duplicated = texts.filter((t) => (seen.get(t) ?? 0) > 1).length;

      progress(`sent ${texts.length}, lost ${lost}; measuring the floors`);
      // The floors, in alternating order, after the load (so they do not compete with it).
      const floors = [
        await sendFloor(backend.tenant),
        await redisFloor(loadConfig(socketSettingsSchema).REDIS_URL),
        await websocketFloor(),
      ];
      closers.push(...floors.map((f) => f.close));
      const samples: number[][] = floors.map(() => []);
      for (let round = 0; round < FLOOR_SAMPLES; round++) {
        for (let k = 0; k < floors.length; k++) {
          const index = (round + k) % floors.length;
          samples[index]?.push(await (floors[index] as { once: () => Promise<number> }).once());
        }
      }
      const [sendP50, redisP50, wsP50] = samples.map((s) => percentile(s, 50)) as [number, number, number];
      const floorSum = sendP50 + redisP50 + wsP50;
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const ratio = floorSum / p50;
      return {
        parley: {
          label: 'send -> other replica p50 (inverse)',
          value: 1000 / p50,
          unit: 'deliveries/s sequential',
        },
        reference: {
          label: 'floor sum p50 (inverse)',
          value: 1000 / floorSum,
          unit: 'deliveries/s sequential',
        },
        goalMet:
          p99 <= 50 && ratio >= 1 / 3 && lost === 0 && duplicated === 0 && failed === 0 && unsent.size === 0,
        details: {
          sustainedS: SUSTAIN_MS / 1000,
          conversations: CONVERSATIONS,
          sent: texts.length,
          achievedRatePerS: Number((texts.length / (sendingMs / 1000)).toFixed(1)),
          failedSends: failed,
          unsentAfterDrain: unsent.size,
          maxQueuedSends: maxQueued,
          lost,
          duplicated,
          p50Ms: Number(p50.toFixed(2)),
          p99Ms: Number(p99.toFixed(2)),
          floorSumP50Ms: Number(floorSum.toFixed(2)),
          sendFloorP50Ms: Number(sendP50.toFixed(2)),
          redisPublishP50Ms: Number(redisP50.toFixed(2)),
          websocketEchoP50Ms: Number(wsP50.toFixed(2)),
        },
      };
    } finally {
      for (const close of closers.reverse()) await close().catch(() => {});
      backend.closeClients();
      for (const replica of replicas) await replica.stop().catch(() => {});
      await jwks?.close();
      await backend.close();
    }
  },
};

export default benchmark;
