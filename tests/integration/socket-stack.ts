/**
 * The realtime path on real servers, for tests that use it as clients would: messaging (its
 * fixture, listening on a real port, its outbox relay publishing to the real Kafka right after each
 * write), the tenant's topics as the operator creates them, two socket replicas on two ports
 * sharing the real Redis adapter, access tokens signed as auth signs them (EdDSA, per-tenant key
 * id) and verified by the replicas through auth-client, and socket-client connections.
 */
import { randomUUID } from 'node:crypto';
import {
  ACTING_ROLES_HEADER,
  ACTING_USER_HEADER,
  type Change,
  type PresenceNotice,
  type ReadNotice,
} from '@parley/contracts';
import { buildApp as buildCryptoApp } from '@parley/crypto-service/app';
import { createComponents as createCryptoComponents } from '@parley/crypto-service/components';
import { cryptoSettingsSchema } from '@parley/crypto-service/settings';
import {
  connectKafka,
  type KafkaConnection,
  kafkaSettingsFromConfig,
  loadConfig,
  ServiceCallers,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { immediatePublisher } from '@parley/messaging-service/src/domain/outbox-publisher.ts';
import { MessagingStore } from '@parley/messaging-service/src/store/collections.ts';
import {
  type MessagingFixture,
  openMessagingFixture,
  SERVICE_TOKEN,
  uniqueTenant,
} from '@parley/messaging-service/src/testing/messaging-fixture.ts';
import { createMessagingRelay } from '@parley/messaging-service/src/workers/outbox-relay.ts';
import type { OutboxRelay } from '@parley/outbox';
import { ParleySocket } from '@parley/socket-client';
import { type SocketSettings, socketSettingsSchema } from '@parley/socket-service/settings';
import { openSocketReplica, type SocketReplicaFixture } from '@parley/socket-service/testing';
import { kafkaTopic, redisKey, tenantRuntimeKey, writeTenantRuntimeRecord } from '@parley/tenancy';
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';

const ISSUER = 'http://127.0.0.1:3007';
const AUDIENCE = 'parley';

export interface Received {
  conversationId: string;
  change: Change;
}

export interface Client {
  userId: string;
  tenant: string;
  sessionId: string;
  live: ParleySocket;
  received: Received[];
  ended: string[];
  /** What the client library reported through onError (refused handshakes, failed recoveries). */
  errors: Error[];
  readyCount: number;
  presence: PresenceNotice[];
  typing: { conversationId: string; userIds: string[] }[];
  reads: ReadNotice[];
  /** Resolves once the server has joined the rooms and said so (after each (re)connect). */
  ready(): Promise<void>;
}

/** Everything but the socket replicas (a test starts those itself, in process or as processes). */
export interface SocketBackend {
  messaging: MessagingFixture;
  messagingUrl: string;
  tenant: string;
  otherTenant: string;
  /** The signing keys' public half, per tenant, as auth's JWKS endpoint serves it. */
  jwks(tenant: string): Promise<JSONWebKeySet>;
  /** What a replica needs to know of this backend (messaging, credential, issuer, its id). */
  replicaSettings(id: string): Partial<SocketSettings>;
  token(tenant: string, userId: string, sessionId?: string, ttlSeconds?: number): Promise<string>;
  connect(url: string, userId: string, options?: { tenant?: string; sessionId?: string }): Promise<Client>;
  /** A call to messaging as `userId` (what the gateway does for a user). */
  call(
    userId: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    payload?: object,
    // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever messaging answers
  ): Promise<any>;
  revoke(tenant: string, sessionId: string, userId: string): Promise<void>;
  closeClients(): void;
  close(): Promise<void>;
}

export interface SocketStack extends SocketBackend {
  replicaA: SocketReplicaFixture;
  replicaB: SocketReplicaFixture;
}

export async function waitFor(check: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The backend and two in-process replicas, both consuming the tenant's topics. */
export async function openSocketStack(
  options: { settings?: Partial<SocketSettings> } = {},
): Promise<SocketStack> {
  const backend = await openSocketBackend(options);
  const { jwks, tenant } = backend;
  const replicaA = await openSocketReplica({ settings: backend.replicaSettings('a'), jwks });
  const replicaB = await openSocketReplica({ settings: backend.replicaSettings('b'), jwks });
  for (const [name, r] of [
    ['a', replicaA],
    ['b', replicaB],
  ] as const) {
    await waitFor(
      () =>
        r.replica.delivery.messages.topics.includes(kafkaTopic(tenant, 'messages')) &&
        r.replica.delivery.members.topics.includes(kafkaTopic(tenant, 'members')),
      60_000,
      `replica ${name} consuming the tenant's topics`,
    );
  }
  // A new group starts at the newest records once its partitions are assigned: let it settle.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  return {
    ...backend,
    replicaA,
    replicaB,
    async close() {
      backend.closeClients();
      await replicaA.close().catch(() => {});
      await replicaB.close().catch(() => {});
      await backend.close();
    },
  };
}

export async function openSocketBackend(
  options: {
    settings?: Partial<SocketSettings>;
    /**
     * false: messaging's outbox relay is not started, so writes publish nothing and their events
     * stay in the documents' outboxes (the delivery benchmark publishes them itself, on its clock).
     */
    publishEvents?: boolean;
  } = {},
): Promise<SocketBackend> {
  const tenant = uniqueTenant('sk');
  const otherTenant = uniqueTenant('sko');
  const config = loadConfig(socketSettingsSchema);
  const kafka: KafkaConnection = await connectKafka(
    kafkaSettingsFromConfig(config, 'socket-test'),
    createSilentLogger(),
  );
  // The operator's topics for the tenant; messages with partitions > 1, so changes of one
  // conversation can arrive out of order and the client library must put them back in order.
  await kafka.admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: kafkaTopic(tenant, 'messages'), numPartitions: 3 },
      { topic: kafkaTopic(tenant, 'members'), numPartitions: 1 },
    ],
  });
  let relay: OutboxRelay | undefined;
  const messaging = await openMessagingFixture({
    tenant,
    publisher: {
      publishNow: (collection, id, written, writing) =>
        relay ? immediatePublisher(relay).publishNow(collection, id, written, writing) : Promise.resolve(),
    },
  });
  if (options.publishEvents !== false) {
    relay = createMessagingRelay({
      producer: kafka.producer,
      store: new MessagingStore(messaging.mongo.client),
      logger: createSilentLogger(),
      intervalMs: 500,
      tenants: () => [tenant],
    });
    relay.start();
  }
  await writeTenantRuntimeRecord(messaging.redis.client, otherTenant, {
    status: 'Ready',
    plan: 'team',
    quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
    generation: 1,
  });
  const messagingUrl = await messaging.app.listen({ host: '127.0.0.1', port: 0 });
  // The crypto service over messaging's keys, where the replicas open new messages' data keys,
  // with Parley's own caller rules: the replicas' credential is the socket service's.
  const crypto = buildCryptoApp(
    await createCryptoComponents(
      loadConfig(cryptoSettingsSchema),
      {
        logger: createSilentLogger('crypto'),
        mongo: messaging.mongo,
        keyring: messaging.keyring,
        platformDb: messaging.platformDb,
      },
      { callers: ServiceCallers.of({ socket: SERVICE_TOKEN }) },
    ),
  );
  const cryptoUrl = await crypto.listen({ host: '127.0.0.1', port: 0 });

  const pair = await generateKeyPair('Ed25519');
  const publicJwk = await exportJWK(pair.publicKey);
  // Signing keys are per tenant; the key id names its tenant (auth's `<tenant>.<period>.<n>`).
  const jwks = async (forTenant: string): Promise<JSONWebKeySet> => ({
    keys: [{ ...publicJwk, kid: `${forTenant}.1.k1`, alg: 'EdDSA', use: 'sig' }],
  });
  const replicaSettings = (id: string) => ({
    MESSAGING_URL: messagingUrl,
    CRYPTO_URL: cryptoUrl,
    SERVICE_TOKEN,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    REPLICA_ID: `test-${tenant}-${id}`,
    TOPIC_REFRESH_MS: 1_000,
    ...options.settings,
  });

  const token = (forTenant: string, userId: string, sessionId = `s-${userId}`, ttlSeconds = 600) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: userId,
      tid: forTenant,
      sid: sessionId,
      roles: ['member'],
      amr: ['pwd'],
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: `${forTenant}.1.k1`, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(pair.privateKey);
  };
  const clients: ParleySocket[] = [];

  return {
    messaging,
    messagingUrl,
    tenant,
    otherTenant,
    jwks,
    replicaSettings,
    token,
    async connect(url, userId, options = {}) {
      const forTenant = options.tenant ?? tenant;
      const sessionId = options.sessionId ?? `s-${userId}-${randomUUID().slice(0, 6)}`;
      const client: Client = {
        userId,
        tenant: forTenant,
        sessionId,
        received: [],
        ended: [],
        errors: [],
        readyCount: 0,
        presence: [],
        typing: [],
        reads: [],
        live: undefined as unknown as ParleySocket,
        ready: async () => {},
      };
      let readyWaiters: (() => void)[] = [];
      client.live = new ParleySocket({
        url,
        token: () => token(forTenant, userId, sessionId),
        onChange: (conversationId, change) => client.received.push({ conversationId, change }),
        onReady: () => {
          client.readyCount += 1;
          for (const resolve of readyWaiters) resolve();
          readyWaiters = [];
        },
        onEnded: (notice) => client.ended.push(notice.reason),
        onError: (error) => client.errors.push(error),
        onPresence: (notice) => client.presence.push(notice),
        onTyping: (conversationId, userIds) => client.typing.push({ conversationId, userIds }),
        onRead: (notice) => client.reads.push(notice),
        io: { forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 1_000 },
      });
      const first = client.readyCount;
      client.ready = () =>
        client.readyCount > first
          ? Promise.resolve()
          : new Promise<void>((resolve) => readyWaiters.push(resolve));
      clients.push(client.live);
      client.live.connect();
      await waitFor(() => client.readyCount > 0, 20_000, `${userId} ready`);
      return client;
    },
    async call(userId, method, path, payload) {
      const response = await messaging.app.inject({
        method,
        url: `/v1/tenants/${tenant}${path}`,
        headers: {
          'x-service-token': SERVICE_TOKEN,
          [ACTING_USER_HEADER]: userId,
          [ACTING_ROLES_HEADER]: 'member',
        },
        ...(payload ? { payload } : {}),
      });
      if (response.statusCode >= 400)
        throw new Error(`${method} ${path}: ${response.statusCode} ${response.body}`);
      return response.statusCode === 204 ? undefined : response.json();
    },
    async revoke(forTenant, sessionId, userId) {
      // What the auth service does on a sign-out: the sorted set, then the channel.
      const relevantUntil = Date.now() + 3_600_000;
      const redis = messaging.redis.client;
      await redis.zadd(redisKey(forTenant, 'auth:revoked-sessions'), relevantUntil, sessionId);
      await redis.publish(
        redisKey(forTenant, 'auth:session-revocations'),
        JSON.stringify({ tenant: forTenant, sessionId, userId, reason: 'logout', relevantUntil }),
      );
    },
    closeClients() {
      for (const client of clients) client.close();
    },
    async close() {
      for (const client of clients) client.close();
      await relay?.stop();
      await messaging.redis.client.del(
        tenantRuntimeKey(otherTenant),
        redisKey(otherTenant, 'auth:revoked-sessions'),
      );
      await crypto.close();
      await messaging.close();
      await kafka.admin
        .deleteTopics({ topics: [kafkaTopic(tenant, 'messages'), kafkaTopic(tenant, 'members')] })
        .catch(() => {});
      await kafka.stop();
    },
  };
}
