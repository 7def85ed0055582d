/**
 * The credential matrix of operator/README.md ("What a tenant's credentials may do"), cell by
 * cell, on the real servers: the operator's own Redis and Kafka principal steps provision a
 * tenant's ACL user and SCRAM user, and each test then acts with those credentials, as a holder
 * of the tenant's Secret would, and shows the broker or server refuse what the tenant may not do
 * (and allow what its workloads need). The Mongo cells cannot be enforced by the local FerretDB
 * (no users, no roles): the step says so, and the role itself is checked in desired-state.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { REVOKED_SESSIONS_KEY, SESSION_REVOCATION_CHANNEL } from '@parley/contracts';
import { stopInOrder } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { kafkaTopic, redisKey, TENANT_STREAMS, type TenantStream } from '@parley/tenancy';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Tenant } from '../src/api/resources.ts';
import { connectOperatorClients, type OperatorClients } from '../src/clients.ts';
import { CoalescedPrincipalAdmin } from '../src/tenant/coalesced-principal-admin.ts';
import { CoalescedTopicAdmin } from '../src/tenant/coalesced-topic-admin.ts';
import { connectionFacts, secretData, type TenantCredentials } from '../src/tenant/credentials.ts';
import { type DesiredTenant, desiredTenant, TENANT_STREAM_ACCESS } from '../src/tenant/desired-state.ts';
import type { StepOutcome, TenantStep, TenantStepContext } from '../src/tenant/step.ts';
import { removeUserQuotas, revokeScramUser } from '../src/tenant/steps/kafka-principal.ts';
import {
  describePrincipalAcls,
  KafkaPrincipalStep,
  principalAclFilter,
} from '../src/tenant/steps/kafka-principal-step.ts';
import { KafkaTopicsStep } from '../src/tenant/steps/kafka-topics-step.ts';
import { MongoStep } from '../src/tenant/steps/mongo-step.ts';
import { RedisStep } from '../src/tenant/steps/redis-step.ts';
import { operatorConfig, removeTenantTopics, uniqueId, waitFor } from './operator-fixture.ts';

const id = uniqueId('tcs');
const other = uniqueId('tco');
const tenant: Tenant = {
  apiVersion: API_VERSION,
  kind: 'Tenant',
  metadata: { name: id, namespace: 'credential-scope', uid: `test-${id}`, generation: 1 },
  spec: { displayName: id, plan: 'team' },
};
const desired: DesiredTenant = desiredTenant(tenant);
const credentials: TenantCredentials = {
  redisPassword: randomBytes(18).toString('base64url'),
  kafkaPassword: randomBytes(18).toString('base64url'),
  mongoPassword: randomBytes(18).toString('base64url'),
  s3SecretKey: randomBytes(16).toString('hex'),
  searchPassword: randomBytes(18).toString('base64url'),
};
const logger = createSilentLogger();
let clients: OperatorClients;
let tenantRedis: Redis;
let tenantKafka: Kafka;

async function apply(step: TenantStep): Promise<StepOutcome> {
  const context: TenantStepContext = {
    tenant,
    desired,
    credentials,
    event: () => {},
    facts: {},
    existingSecret: undefined,
    earlier: new Map(),
  };
  return step.apply(context);
}

const topic = (stream: TenantStream) => kafkaTopic(id, stream);

/**
 * What a refused Kafka call threw, with the errors kafkajs nests (createTopics throws "Topic
 * creation errors" with the broker's codes inside), so a test can see that the broker said no
 * for authorization and not for something else.
 */
async function refusal(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return 'allowed';
  const nested = (error as { errors?: { type?: string; message?: string }[] }).errors ?? [];
  return [String((error as Error).message), ...nested.map((e) => `${e.type} ${e.message}`)].join('; ');
}
const streamsWhere = (test: (access: string) => boolean) =>
  TENANT_STREAMS.filter((stream) => test(TENANT_STREAM_ACCESS[stream]));

// Auth's keys under the tenant's prefix, named as auth names them (brute-force-guard.ts, session-cache.ts).
const lockoutKey = redisKey(id, 'auth', 'bf', 'acct', 'victim@example.com', 'lock');
const failuresKey = redisKey(id, 'auth', 'bf', 'acct', 'victim@example.com', 'failures');
const sessionKey = redisKey(id, 'auth', 'session', 's-1');
const revokedKey = redisKey(id, REVOKED_SESSIONS_KEY);
const revocationChannel = redisKey(id, SESSION_REVOCATION_CHANNEL);
const appKey = (name: string) => `${desired.redis.workload.keyPrefix}${name}`;

beforeAll(async () => {
  const config = operatorConfig('credential-scope');
  clients = await connectOperatorClients(config, logger);
  for (const step of [
    new RedisStep(clients.redis.client),
    new KafkaTopicsStep(new CoalescedTopicAdmin(clients.kafka.admin, clients.kafkaPlatformatic)),
    new KafkaPrincipalStep(new CoalescedPrincipalAdmin(clients.kafkaPlatformatic)),
  ]) {
    const outcome = await apply(step);
    if (outcome.status !== 'True') throw new Error(`${step.name}: ${outcome.reason} ${outcome.message}`);
  }
  // What auth and the operator keep there, written with platform credentials.
  const platform = clients.redis.client;
  await platform.set(lockoutKey, '1', 'EX', 600);
  await platform.set(failuresKey, '9', 'EX', 600);
  await platform.set(sessionKey, '{"user":"u1"}', 'EX', 600);
  await platform.zadd(revokedKey, Date.now() + 600_000, 's-stolen');
  await platform.hset(desired.redis.runtimeKey, { status: 'Suspended', messagesPerSecond: '50' });

  // Exactly what the tenant's Secret holds (the Mongo user is absent: FerretDB has none).
  const secret = secretData(desired, credentials, connectionFacts(config), false);
  // No ready check: it sends INFO, which the tenant's user may not run.
  tenantRedis = new Redis(secret.REDIS_URL as string, { maxRetriesPerRequest: 1, enableReadyCheck: false });
  const kafka = new Kafka({
    clientId: `tenant-${id}-probe`,
    brokers: (secret.KAFKA_BROKERS as string).split(','),
    sasl: {
      mechanism: 'scram-sha-512',
      username: secret.KAFKA_USERNAME as string,
      password: secret.KAFKA_PASSWORD as string,
    },
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  });
  // A new SCRAM user reaches every broker through the metadata log a moment after it is written.
  await waitFor(
    'the tenant to sign in to Kafka',
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        return true;
      } catch {
        return false;
      } finally {
        await admin.disconnect();
      }
    },
    30_000,
    200,
  );
  tenantKafka = kafka;
}, 120_000);

afterAll(async () => {
  tenantRedis?.disconnect();
  if (clients) {
    const platform = clients.redis.client;
    await platform.call('ACL', 'DELUSER', desired.redis.user);
    const keys = await platform.keys(`t:${id}:*`);
    if (keys.length > 0) await platform.del(...keys);
    await revokeScramUser(clients.kafkaPlatformatic, desired.kafka.principal);
    await removeUserQuotas(clients.kafkaPlatformatic, desired.kafka.principal);
    await clients.kafka.admin.deleteAcls({ filters: [principalAclFilter(desired)] });
    await clients.mongo.client.db(desired.mongo.database).dropDatabase();
    await stopInOrder(clients.stoppables, logger);
  }
  await removeTenantTopics([id]);
}, 120_000);

describe("a tenant's Kafka credential", { timeout: 60_000 }, () => {
  async function produceAsTenant(target: string) {
    const producer = tenantKafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      return await producer.send({ topic: target, messages: [{ key: 'k', value: 'forged' }] });
    } finally {
      await producer.disconnect();
    }
  }

  it.each(streamsWhere((access) => access !== 'readWrite'))(
    "cannot write its %s topic (only Parley's services write it, and its readers trust it)",
    async (stream) => {
      await expect(produceAsTenant(topic(stream))).rejects.toThrow(/authoriz/i);
    },
  );

  it('can produce to its app stream, the one meant for its workloads', async () => {
    const [written] = await produceAsTenant(topic('app'));
    expect(written?.errorCode).toBe(0);
  });

  it("cannot write another tenant's app stream", async () => {
    await expect(produceAsTenant(kafkaTopic(other, 'app'))).rejects.toThrow(/authoriz/i);
  });

  it.each(streamsWhere((access) => access === 'none'))(
    'cannot read its %s topic (what it carries is served through the APIs that check who asks)',
    async (stream) => {
      const consumer = tenantKafka.consumer({ groupId: `${desired.kafka.topicPrefix}probe-${stream}` });
      await consumer.connect();
      try {
        await expect(consumer.subscribe({ topics: [topic(stream)], fromBeginning: true })).rejects.toThrow(
          /authoriz/i,
        );
      } finally {
        await consumer.disconnect();
      }
    },
  );

  it('reads its messages, members, lifecycle and app streams (what the platform wrote there)', async () => {
    const readable = streamsWhere((access) => access !== 'none');
    expect(readable).toEqual(['messages', 'members', 'lifecycle', 'app']);
    for (const stream of readable)
      await clients.kafka.producer.send({
        topic: topic(stream),
        // Keyed: the messages topic is compacted, and the broker refuses a keyless record there.
        messages: [{ key: `platform-${stream}`, value: `platform-${stream}` }],
      });
    const consumer = tenantKafka.consumer({ groupId: `${desired.kafka.topicPrefix}workload` });
    const seen = new Set<string>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: readable.map(topic), fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.add(String(message.value)) });
      await waitFor(
        'a message on every readable stream',
        async () => readable.every((s) => seen.has(`platform-${s}`)),
        45_000,
      );
    } finally {
      await consumer.disconnect();
    }
  });

  it("cannot use a Parley service's consumer group (to move its offsets past audit records)", async () => {
    const admin = tenantKafka.admin();
    await admin.connect();
    try {
      // FindCoordinator is refused for a group outside parley.<tenant>. (kafkajs: "group coordinator").
      await expect(
        admin.fetchOffsets({ groupId: 'compliance.audit-ingest', topics: [topic('app')] }),
      ).rejects.toThrow(/group coordinator|authoriz/i);
      await expect(
        admin.setOffsets({
          groupId: 'compliance.audit-ingest',
          topic: topic('app'),
          partitions: [{ partition: 0, offset: '0' }],
        }),
      ).rejects.toThrow(/group coordinator|authoriz/i);
    } finally {
      await admin.disconnect();
    }
  });

  it('cannot create, delete or reconfigure topics (that is the operator)', async () => {
    const admin = tenantKafka.admin();
    await admin.connect();
    try {
      expect(
        await refusal(admin.createTopics({ topics: [{ topic: `${desired.kafka.topicPrefix}extra` }] })),
      ).toMatch(/AUTHORIZATION_FAILED/);
      expect(await refusal(admin.deleteTopics({ topics: [topic('app')], timeout: 5_000 }))).toMatch(
        /authoriz/i,
      );
      expect(
        await refusal(
          admin.alterConfigs({
            validateOnly: false,
            resources: [
              { type: 2, name: topic('messages'), configEntries: [{ name: 'retention.ms', value: '1' }] },
            ],
          }),
        ),
      ).toMatch(/authoriz/i);
    } finally {
      await admin.disconnect();
    }
    expect((await clients.kafka.admin.listTopics()).includes(topic('app'))).toBe(true);
  });
});

describe("a tenant's Redis credential", () => {
  it('cannot clear its own login lockout (to keep guessing a password)', async () => {
    await expect(tenantRedis.del(lockoutKey)).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.set(failuresKey, '0')).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.get(lockoutKey)).rejects.toThrow(/NOPERM/);
    expect(await clients.redis.client.get(lockoutKey)).toBe('1');
  });

  it('cannot clear a lockout from a Lua script or by renaming a workload key over it', async () => {
    await expect(tenantRedis.eval("return redis.call('del', KEYS[1])", 1, lockoutKey)).rejects.toThrow(
      /NOPERM|no permissions|can't access/i,
    );
    await expect(tenantRedis.eval(`return redis.call('del', '${lockoutKey}')`, 0)).rejects.toThrow(
      /NOPERM|no permissions|can't access/i,
    );
    await tenantRedis.set(appKey('scratch'), '0');
    await expect(tenantRedis.call('COPY', appKey('scratch'), failuresKey, 'REPLACE')).rejects.toThrow(
      /NOPERM/,
    );
    await expect(tenantRedis.rename(appKey('scratch'), lockoutKey)).rejects.toThrow(/NOPERM/);
    expect(await clients.redis.client.get(lockoutKey)).toBe('1');
  });

  it("cannot read auth's cached sessions", async () => {
    await expect(tenantRedis.get(sessionKey)).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.set(sessionKey, '{"user":"admin"}')).rejects.toThrow(/NOPERM/);
  });

  it('cannot un-revoke a stolen session (the revocation set is auth’s)', async () => {
    await expect(tenantRedis.zrem(revokedKey, 's-stolen')).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.del(revokedKey)).rejects.toThrow(/NOPERM/);
    expect(await clients.redis.client.zscore(revokedKey, 's-stolen')).not.toBeNull();
  });

  it('cannot publish a forged session revocation nor listen to the real ones', async () => {
    await expect(tenantRedis.publish(revocationChannel, '{"sessionId":"s-1"}')).rejects.toThrow(/NOPERM/);
    const listener = tenantRedis.duplicate();
    try {
      await expect(listener.subscribe(revocationChannel)).rejects.toThrow(/NOPERM/);
      await expect(listener.psubscribe(`t:${id}:*`)).rejects.toThrow(/NOPERM/);
    } finally {
      listener.disconnect();
    }
  });

  it('cannot lift its own suspension or raise its quotas (the runtime record is read-only to it)', async () => {
    expect(await tenantRedis.hget(desired.redis.runtimeKey, 'status')).toBe('Suspended');
    await expect(tenantRedis.hset(desired.redis.runtimeKey, 'status', 'Ready')).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.hset(desired.redis.runtimeKey, 'messagesPerSecond', '100000')).rejects.toThrow(
      /NOPERM/,
    );
    await expect(tenantRedis.del(desired.redis.runtimeKey)).rejects.toThrow(/NOPERM/);
    expect(await clients.redis.client.hget(desired.redis.runtimeKey, 'status')).toBe('Suspended');
  });

  it("cannot flush or kill the server's scripts and functions (every tenant's and Parley's)", async () => {
    await expect(tenantRedis.call('SCRIPT', 'FLUSH')).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.call('SCRIPT', 'KILL')).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.call('FUNCTION', 'FLUSH')).rejects.toThrow(/NOPERM/);
    await expect(
      tenantRedis.call(
        'FUNCTION',
        'LOAD',
        "#!lua name=forged\nredis.register_function('f', function() return 1 end)",
      ),
    ).rejects.toThrow(/NOPERM/);
    // Its own Lua on its own keys still runs.
    expect(await tenantRedis.eval("return redis.call('set', KEYS[1], 'v')", 1, appKey('lua'))).toBe('OK');
  });

  it("cannot touch another tenant's workload keys or channels", async () => {
    await expect(tenantRedis.set(`t:${other}:app:x`, '1')).rejects.toThrow(/NOPERM/);
    await expect(tenantRedis.publish(`t:${other}:app:events`, 'hi')).rejects.toThrow(/NOPERM/);
  });

  it("reads and writes its workloads' keys and channels", async () => {
    expect(await tenantRedis.set(appKey('cache:1'), 'v')).toBe('OK');
    expect(await tenantRedis.get(appKey('cache:1'))).toBe('v');
    const listener = tenantRedis.duplicate();
    try {
      const got: string[] = [];
      listener.on('message', (_channel, message) => got.push(message));
      await listener.subscribe(appKey('events'));
      expect(await tenantRedis.publish(appKey('events'), 'hello')).toBe(1);
      await waitFor('the message on its own channel', async () => got.includes('hello'), 5_000, 50);
    } finally {
      listener.disconnect();
    }
  });
});

describe("a tenant's Mongo credential", () => {
  it('does not exist on a server without users and roles, and the Mongo step says so', async () => {
    const outcome = await apply(new MongoStep(clients.mongo.client));
    expect(outcome.reason).toBe('ProvisionedWithoutUser');
    expect(outcome.message).toMatch(/does not support createUser or createRole/);
    // The server really refuses the role the step would have created (so the reason is not a guess).
    await expect(
      clients.mongo.client.db(desired.mongo.database).command({
        createRole: desired.mongo.workloadRole.role,
        privileges: desired.mongo.workloadRole.privileges,
        roles: [],
      }),
    ).rejects.toMatchObject({ codeName: expect.stringMatching(/CommandNotFound|NotImplemented/) });
  });
});

describe('revoking the tenant', () => {
  it('removes every ACL of its principal with the one filter deletion uses', async () => {
    const principal = `User:${desired.kafka.principal}`;
    expect((await describePrincipalAcls(clients.kafkaPlatformatic, principal)).length).toBeGreaterThan(0);
    await clients.kafka.admin.deleteAcls({ filters: [principalAclFilter(desired)] });
    expect(await describePrincipalAcls(clients.kafkaPlatformatic, principal)).toEqual([]);
  });
});
