/**
 * The deletion policies, carried out by the Tenant finalizer against the real stores: Retain keeps
 * the data and revokes access; Delete removes the data; CryptoShred schedules the keys'
 * destruction first and removes the data.
 */
import { createSilentLogger } from '@parley/kit/testing';
import { TENANT_STREAMS } from '@parley/tenancy';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../src/api/resources.ts';
import { connectKube } from '../src/manager/kube-client.ts';
import { registryCollection } from '../src/tenant/registry.ts';
import { deleteTenantBucket } from '../src/tenant/steps/bucket-step.ts';
import { deleteTenantTopics } from '../src/tenant/steps/kafka-topics-step.ts';
import { TenantDeletion } from '../src/tenant/tenant-deletion.ts';
import {
  ensureCrdsAndNamespace,
  getJson,
  kubectl,
  kubectlOk,
  removeTenantTopics,
  sample,
  startTestOperator,
  type TestOperator,
  uniqueId,
  waitForCondition,
  withoutAdmins,
} from './operator-fixture.ts';

const namespace = uniqueId('optd-');
const tenants = { Retain: uniqueId('tr'), Delete: uniqueId('td'), CryptoShred: uniqueId('tc') };
let op: TestOperator;
const credentials: Record<string, { username: string; password: string; brokers: string }> = {};
const saved: Record<string, Tenant | undefined> = {};

const withPolicy = (policy: string) => (yaml: string) =>
  withoutAdmins(yaml).replace('deletionPolicy: Retain', `deletionPolicy: ${policy}`);

async function databaseNames(): Promise<string[]> {
  const { databases } = await op.clients.mongo.client.db('admin').admin().listDatabases({ nameOnly: true });
  return databases.map((d) => d.name);
}

async function kafkaLoginWorks(c: { username: string; password: string; brokers: string }): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'deletion-probe',
    brokers: c.brokers.split(','),
    sasl: { mechanism: 'scram-sha-512', username: c.username, password: c.password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The tenant's MinIO user and its canned policy are both gone. */
async function minioUserGone(tenant: string): Promise<boolean> {
  const admin = op.clients.s3Admin;
  return (
    (await admin.userInfo(`tenant-${tenant}`)) === undefined &&
    (await admin.cannedPolicy(`parley-tenant-${tenant}`)) === undefined
  );
}

/** What a finished Delete cleanup left behind, compared before and after running it again. */
async function deletedState(t: string) {
  const [key] = await op.operator.keyring.listKeys(t);
  const entry = await op.clients.mongo.client
    .db('parley_platform')
    .collection('tenants')
    .findOne({ _id: t as never });
  return {
    database: (await databaseNames()).includes(`parley_${t}`),
    topics: (await op.clients.kafka.admin.listTopics()).filter((x) => x.startsWith(`parley.${t}.`)).sort(),
    redisKeys: await op.clients.redis.client.exists(`t:${t}:session:s1`, `t:${t}:runtime`),
    bucket: await op.clients.s3.bucketExists(`parley-${t}`),
    index: (await op.clients.elasticsearch.indices.exists({ index: `parley-${t}-messages` })).body,
    keyState: key?.state,
    destroyAt: key?.destroyAt?.toISOString(),
    kafkaLogin: await kafkaLoginWorks(credentials[t] as never),
    minioUserGone: await minioUserGone(t),
    registry: entry?.status,
  };
}

beforeAll(async () => {
  await ensureCrdsAndNamespace(namespace);
  op = await startTestOperator(namespace);
  for (const [policy, tenant] of Object.entries(tenants)) {
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', tenant, withPolicy(policy)),
    );
  }
  for (const tenant of Object.values(tenants)) {
    await waitForCondition(namespace, `tenant/${tenant}`, 'Ready', 'True', 90_000);
    await op.clients.mongo.client
      .db(`parley_${tenant}`)
      .collection('messages')
      .insertOne({ conversationId: 'c1', text: 'kept?' });
    await op.clients.redis.client.set(`t:${tenant}:session:s1`, 'x');
    await op.clients.s3.putObject(`parley-${tenant}`, 'file.txt', Buffer.from('data'));
    const secret = await getJson<{ data: Record<string, string> }>(
      namespace,
      `secret/parley-tenant-${tenant}-credentials`,
    );
    const value = (k: string) => Buffer.from(secret?.data[k] ?? '', 'base64').toString();
    credentials[tenant] = {
      username: value('KAFKA_USERNAME'),
      password: value('KAFKA_PASSWORD'),
      brokers: value('KAFKA_BROKERS'),
    };
  }
  for (const tenant of Object.values(tenants)) {
    saved[tenant] = await getJson<Tenant>(namespace, `tenant/${tenant}`);
    await kubectlOk(['delete', '-n', namespace, 'tenant', tenant, '--timeout=90s']);
  }
}, 240_000);

afterAll(async () => {
  // Retain left its data on purpose; the test removes it.
  const kept = tenants.Retain;
  if (op) {
    await op.clients.mongo.client.db(`parley_${kept}`).dropDatabase();
    await deleteTenantTopics(op.clients.kafka.admin, `parley.${kept}.`);
    await deleteTenantBucket(op.clients.s3, `parley-${kept}`);
    await op.clients.elasticsearch.indices.delete({
      index: `parley-${kept}-messages`,
      ignore_unavailable: true,
    });
    await op.clients.redis.client.del(`t:${kept}:session:s1`, `t:${kept}:runtime`);
    await op.stop();
    await removeTenantTopics(Object.values(tenants));
  }
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
}, 120_000);

describe('deleting a Tenant', { timeout: 180_000 }, () => {
  it('with Retain keeps every byte of data and revokes access', async () => {
    const t = tenants.Retain;
    expect(await databaseNames()).toContain(`parley_${t}`);
    expect(await op.clients.mongo.client.db(`parley_${t}`).collection('messages').countDocuments()).toBe(1);
    expect(
      (await op.clients.kafka.admin.listTopics()).filter((x) => x.startsWith(`parley.${t}.`)),
    ).toHaveLength(TENANT_STREAMS.length);
    expect(await op.clients.redis.client.get(`t:${t}:session:s1`)).toBe('x');
    expect(await op.clients.s3.bucketExists(`parley-${t}`)).toBe(true);
    expect((await op.clients.elasticsearch.indices.exists({ index: `parley-${t}-messages` })).body).toBe(
      true,
    );
    expect((await op.operator.keyring.listKeys(t))[0]?.state).toBe('enabled');
    // Access is gone: no Redis user, no Kafka login, and services read "Deleted".
    expect(await op.clients.redis.client.call('ACL', 'GETUSER', `tenant-${t}`)).toBeNull();
    expect(await kafkaLoginWorks(credentials[t] as never)).toBe(false);
    expect(await minioUserGone(t)).toBe(true);
    expect(await op.clients.redis.client.hget(`t:${t}:runtime`, 'status')).toBe('Deleted');
    const entry = await op.clients.mongo.client
      .db('parley_platform')
      .collection('tenants')
      .findOne({ _id: t as never });
    expect(entry?.status).toBe('Deleted');
  });

  it('with Delete removes the database, content topics, Redis keys, bucket and index, and schedules key destruction', async () => {
    const t = tenants.Delete;
    expect(await databaseNames()).not.toContain(`parley_${t}`);
    // Content topics go; lifecycle and keys stay to carry the deletion's own events.
    const left = (await op.clients.kafka.admin.listTopics()).filter((x) => x.startsWith(`parley.${t}.`));
    expect(left.sort()).toEqual([`parley.${t}.keys`, `parley.${t}.lifecycle`]);
    expect(await op.clients.redis.client.exists(`t:${t}:session:s1`, `t:${t}:runtime`)).toBe(0);
    expect(await op.clients.s3.bucketExists(`parley-${t}`)).toBe(false);
    expect((await op.clients.elasticsearch.indices.exists({ index: `parley-${t}-messages` })).body).toBe(
      false,
    );
    expect((await op.operator.keyring.listKeys(t))[0]?.state).toBe('pending-destruction');
    expect(await kafkaLoginWorks(credentials[t] as never)).toBe(false);
    expect(await minioUserGone(t)).toBe(true);
  });

  it('is idempotent: running a finished cleanup again succeeds and leaves the same deleted state (a finalizer retried after a crash)', async () => {
    const tenant = saved[tenants.Delete];
    if (!tenant) throw new Error('the Delete tenant was not captured');
    const logger = createSilentLogger();
    const deletion = new TenantDeletion({
      mongo: op.clients.mongo.client,
      registry: registryCollection(op.clients.mongo.client),
      redis: op.clients.redis.client,
      kafka: op.clients.kafka.admin,
      kafkaPlatformatic: op.clients.kafkaPlatformatic,
      s3: op.clients.s3,
      s3Admin: op.clients.s3Admin,
      elasticsearch: op.clients.elasticsearch,
      keys: op.operator.keyring,
      events: { record: async () => {} },
      logger,
      credentialStore: { kube: connectKube(op.config.KUBECONFIG), namespace },
    });
    const before = await deletedState(tenants.Delete);
    await expect(deletion.run(tenant)).resolves.toBeUndefined();
    await op.operator.relay.flush(); // its events go out before the test removes the topics
    // The second run changed nothing: still deleted, and the keys' destruction date not moved.
    const after = await deletedState(tenants.Delete);
    expect(after).toEqual(before);
    expect(after).toMatchObject({
      database: false,
      topics: [`parley.${tenants.Delete}.keys`, `parley.${tenants.Delete}.lifecycle`],
      redisKeys: 0,
      bucket: false,
      index: false,
      keyState: 'pending-destruction',
      destroyAt: expect.any(String),
      kafkaLogin: false,
      minioUserGone: true,
      registry: 'Deleted',
    });
  });

  it('with CryptoShred schedules key destruction and removes the data', async () => {
    const t = tenants.CryptoShred;
    const [key] = await op.operator.keyring.listKeys(t);
    expect(key?.state).toBe('pending-destruction');
    expect(key?.destroyAt).toBeInstanceOf(Date);
    expect(await databaseNames()).not.toContain(`parley_${t}`);
    expect(await op.clients.s3.bucketExists(`parley-${t}`)).toBe(false);
    expect(await minioUserGone(t)).toBe(true);
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'reason=DeletedCryptoShred',
      '-o',
      'json',
    ]);
    expect(events).toMatch(/scheduled destruction of 1 key/);
  });
});
