/**
 * Tenant provisioning end to end on the local stack: kubectl applies the sample, the operator
 * (real wiring, in this process) provisions every store, and the test checks each store directly.
 */
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from '../src/kafka-acl-enums.ts';
import { describeUserQuotas } from '../src/tenant/steps/kafka-principal.ts';
import {
  conditions,
  ensureCrdsAndNamespace,
  getJson,
  kubectl,
  kubectlOk,
  sample,
  startTestOperator,
  uniqueId,
  waitFor,
  waitForCondition,
  waitForEvent,
  withoutAdmins,
} from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

const tenantA = uniqueId('ta');
const tenantB = uniqueId('tb');

function secretValues(secret: { data: Record<string, string> }): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

async function tenantSecret(tenant: string): Promise<Record<string, string>> {
  const secret = await getJson<{ data: Record<string, string> }>(
    namespace,
    `secret/parley-tenant-${tenant}-credentials`,
  );
  if (!secret) throw new Error('no Secret');
  return secretValues(secret);
}

// Not waited for in beforeAll: the first test watches them become Ready.
const suite = operatorSuite({
  prefix: 'optp-',
  tenants: [tenantA, tenantB].map((name) => ({ name, edit: withoutAdmins })),
  waitReady: false,
  setupTimeoutMs: 120_000,
  cleanupTimeoutMs: 120_000,
});
const { namespace } = suite;

describe('a Tenant applied with kubectl', { timeout: 180_000 }, () => {
  it('becomes Ready with one True condition per step and observedGeneration caught up', async () => {
    const all = await waitForCondition(namespace, `tenant/${tenantA}`, 'Ready', 'True', 90_000);
    expect(all.map((c) => c.type).sort()).toEqual(
      [
        'Bucket',
        'Credentials',
        'Invitations',
        'KafkaPrincipal',
        'KafkaTopics',
        'Keys',
        'Mongo',
        'Ready',
        'Redis',
        'Registry',
        'Runtime',
        'S3User',
        'SearchIndex',
      ].sort(),
    );
    expect(all.every((c) => c.status === 'True')).toBe(true);
    const tenant = await getJson<{
      metadata: { generation: number; finalizers: string[] };
      status: { observedGeneration: number; keyVersion: number };
    }>(namespace, `tenant/${tenantA}`);
    expect(tenant?.status.observedGeneration).toBe(tenant?.metadata.generation);
    expect(tenant?.metadata.finalizers).toContain('parley.dev/tenant-cleanup');
    expect(tenant?.status.keyVersion).toBe(1);
    const printed = await kubectlOk(['get', '-n', namespace, 'tenant', tenantA]);
    expect(printed).toMatch(/READY\s+REASON/);
    expect(printed).toMatch(new RegExp(`${tenantA}\\s+team\\s+3\\s+Retain\\s+false\\s+True\\s+Provisioned`));
    // The first provisioning's routine creations are one Event with the outcome, not one each.
    const events = JSON.parse(
      await kubectlOk([
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        `involvedObject.name=${tenantA}`,
        '-o',
        'json',
      ]),
    ) as { items: { reason: string; message?: string }[] };
    const reasons = events.items.map((e) => e.reason);
    expect(reasons.filter((r) => r === 'Ready')).toHaveLength(1);
    for (const routine of ['BucketCreated', 'RedisUserCreated', 'S3UserCreated', 'CredentialsCreated'])
      expect(reasons).not.toContain(routine);
    const readyNote = events.items.find((e) => e.reason === 'Ready')?.message ?? '';
    expect(readyNote).toMatch(/^Every step is ready; /);
    expect(readyNote).toContain(`S3 bucket parley-${tenantA} created`);
    expect(readyNote).toContain(`Redis ACL user tenant-${tenantA} created`);
  });

  it('provisions Mongo (and says plainly that FerretDB has no users), Redis, Kafka, S3, Elasticsearch and keys', async () => {
    await waitForCondition(namespace, `tenant/${tenantA}`, 'Ready', 'True', 90_000);
    const { clients } = suite.op;
    const db = clients.mongo.client.db(`parley_${tenantA}`);
    const collections = (await db.listCollections().toArray()).map((c) => c.name).sort();
    expect(collections).toEqual(['attachments', 'conversation_seqs', 'conversations', 'members', 'messages']);
    const memberIndexes = await db.collection('members').indexes();
    expect(memberIndexes.find((i) => i.name === 'conversation_user')).toMatchObject({ unique: true });
    const mongo = (await conditions(namespace, `tenant/${tenantA}`)).find((c) => c.type === 'Mongo');
    expect(mongo?.reason).toBe('ProvisionedWithoutUser');
    expect(mongo?.message).toMatch(/does not support createUser/);

    const registry = await clients.mongo.client
      .db('parley_platform')
      .collection('tenants')
      .findOne({ _id: tenantA as never });
    expect(registry).toMatchObject({
      status: 'Ready',
      plan: 'team',
      quotas: { users: 250, storageGiB: 50, messagesPerSecond: 40 },
    });
    expect(await clients.redis.client.hgetall(`t:${tenantA}:runtime`)).toMatchObject({
      status: 'Ready',
      users: '250',
    });
    const acl = (await clients.redis.client.call('ACL', 'GETUSER', `tenant-${tenantA}`)) as unknown[];
    expect(JSON.stringify(acl)).toContain(`~t:${tenantA}:app:*`);

    const metadata = await clients.kafka.admin.fetchTopicMetadata({
      topics: [`parley.${tenantA}.messages`, `parley.${tenantA}.gdpr`, `parley.${tenantA}.notifications`],
    });
    expect(metadata.topics.map((t) => t.partitions.length)).toEqual([3, 3, 3]);
    expect(await describeUserQuotas(clients.kafkaPlatformatic, `tenant-${tenantA}`)).toEqual({
      producer_byte_rate: 40 * 16384,
      consumer_byte_rate: 40 * 16384 * 4,
    });

    expect(await clients.s3.bucketExists(`parley-${tenantA}`)).toBe(true);
    expect((await clients.elasticsearch.indices.exists({ index: `parley-${tenantA}-messages` })).body).toBe(
      true,
    );
    const keys = await suite.op.operator.keyring.listKeys(tenantA);
    expect(keys.map((k) => [k.keyName, k.primaryVersion, k.state])).toEqual([['default', 1, 'enabled']]);
  });

  it("a tenant's Secret hands out no Elasticsearch address where the server cannot isolate it (and the SearchIndex condition says why)", async () => {
    // The local Elasticsearch 7.10 has no security module: the only isolation is the index name,
    // so a tenant credential for it cannot exist and the Secret must not pretend one does.
    const search = (await conditions(namespace, `tenant/${tenantA}`)).find((c) => c.type === 'SearchIndex');
    expect(search).toMatchObject({ status: 'True', reason: 'ProvisionedWithoutUser' });
    expect(search?.message).toMatch(
      /no per-tenant Elasticsearch user: the server has no security \(HTTP 40\d: .*_security\/_authenticate/,
    );
    const secret = await tenantSecret(tenantA);
    expect(secret.ELASTICSEARCH_URL).toBeUndefined();
    expect(secret.ELASTICSEARCH_PASSWORD).toBeUndefined();
    expect(secret.ELASTICSEARCH_INDEX).toBe(`parley-${tenantA}-messages`);
  });

  it("gives the tenant credentials that reach its own keys, channels and topics and are refused another tenant's", async () => {
    await waitForCondition(namespace, `tenant/${tenantA}`, 'Ready', 'True', 90_000);
    await waitForCondition(namespace, `tenant/${tenantB}`, 'Ready', 'True', 90_000);
    const secret = await tenantSecret(tenantA);
    expect(secret).toMatchObject({
      TENANT_ID: tenantA,
      REDIS_USERNAME: `tenant-${tenantA}`,
      KAFKA_USERNAME: `tenant-${tenantA}`,
    });

    const redis = new Redis(secret.REDIS_URL as string, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.set(`${secret.REDIS_KEY_PREFIX}probe`, '1')).toBe('OK');
      expect(secret.REDIS_KEY_PREFIX).toBe(`t:${tenantA}:app:`);
      await expect(redis.set(`t:${tenantB}:probe`, '1')).rejects.toThrow(/NOPERM/);
      await expect(redis.get('t:platform:anything')).rejects.toThrow(/NOPERM/);
      expect(await redis.publish(`t:${tenantA}:app:channel`, 'hi')).toBeGreaterThanOrEqual(0);
      await expect(redis.publish(`t:${tenantB}:channel`, 'hi')).rejects.toThrow(/NOPERM/);
      await expect(redis.call('KEYS', '*')).rejects.toThrow(/NOPERM/);
      // Commands that list or count keys and channels regardless of patterns are refused too.
      await expect(redis.call('SCAN', '0')).rejects.toThrow(/NOPERM/);
      await expect(redis.call('PUBSUB', 'CHANNELS')).rejects.toThrow(/NOPERM/);
      await expect(redis.call('RANDOMKEY')).rejects.toThrow(/NOPERM/);
    } finally {
      redis.disconnect();
    }

    const kafka = new Kafka({
      clientId: 'tenant-probe',
      brokers: (secret.KAFKA_BROKERS as string).split(','),
      sasl: {
        mechanism: 'scram-sha-512',
        username: secret.KAFKA_USERNAME as string,
        password: secret.KAFKA_PASSWORD as string,
      },
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      // Its workloads' own stream is the one it writes (tenant-credential-scope.test.ts has every cell).
      const [own] = await producer.send({
        topic: `parley.${tenantA}.app`,
        messages: [{ value: 'mine' }],
      });
      expect(own?.errorCode).toBe(0);
      // The notifications stream (sealed sign-up links, invitations) is the platform's: a write
      // would have the notifier mail whatever the tenant wrote, as Parley.
      await expect(
        producer.send({ topic: `parley.${tenantA}.notifications`, messages: [{ value: 'sealed' }] }),
      ).rejects.toThrow(/authoriz/i);
      await expect(
        producer.send({ topic: `parley.${tenantB}.app`, messages: [{ value: 'theirs' }] }),
      ).rejects.toThrow(/authoriz/i);
    } finally {
      await producer.disconnect();
    }
    // Consumer groups: its own prefix is allowed, any other group is refused.
    const ownGroup = kafka.consumer({ groupId: `parley.${tenantA}.probe` });
    await ownGroup.connect();
    try {
      await ownGroup.subscribe({ topic: `parley.${tenantA}.app`, fromBeginning: true });
      const got: string[] = [];
      await ownGroup.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
      await waitFor('its own message', async () => got.includes('mine'), 30_000);
    } finally {
      await ownGroup.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      // The broker refuses FindCoordinator for a group outside the prefix (kafkajs reports it as
      // "Failed to find group coordinator"); the platform admin asks the same and gets an answer.
      await expect(
        admin.fetchOffsets({ groupId: 'someone-elses-group', topics: [`parley.${tenantA}.messages`] }),
      ).rejects.toThrow(/group coordinator/i);
      expect(
        await suite.op.clients.kafka.admin.fetchOffsets({
          groupId: 'someone-elses-group',
          topics: [`parley.${tenantA}.messages`],
        }),
      ).toHaveLength(1);
      await expect(admin.fetchTopicMetadata({ topics: [`parley.${tenantB}.messages`] })).rejects.toThrow(
        /authoriz/i,
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('follows a spec change (partitions grow, suspension) and catches observedGeneration up', async () => {
    await waitForCondition(namespace, `tenant/${tenantB}`, 'Ready', 'True', 90_000);
    await kubectlOk([
      'patch',
      '-n',
      namespace,
      'tenant',
      tenantB,
      '--type',
      'merge',
      '-p',
      '{"spec":{"kafka":{"partitions":4},"suspended":true,"quotas":{"messagesPerSecond":80}}}',
    ]);
    const generation = Number(
      await kubectlOk(['get', '-n', namespace, 'tenant', tenantB, '-o', 'jsonpath={.metadata.generation}']),
    );
    await waitFor('observedGeneration to catch up', async () => {
      const t = await getJson<{
        status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
      }>(namespace, `tenant/${tenantB}`);
      return (
        t?.status?.observedGeneration === generation &&
        t.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      );
    });
    const metadata = await suite.op.clients.kafka.admin.fetchTopicMetadata({
      topics: [`parley.${tenantB}.messages`],
    });
    expect(metadata.topics[0]?.partitions.length).toBe(4);
    expect(await describeUserQuotas(suite.op.clients.kafkaPlatformatic, `tenant-${tenantB}`)).toMatchObject({
      producer_byte_rate: 80 * 16384,
    });
    expect(await suite.op.clients.redis.client.hget(`t:${tenantB}:runtime`, 'messagesPerSecond')).toBe('80');
    expect(await suite.op.clients.redis.client.hget(`t:${tenantB}:runtime`, 'status')).toBe('Suspended');
    const acl = JSON.stringify(
      await suite.op.clients.redis.client.call('ACL', 'GETUSER', `tenant-${tenantB}`),
    );
    expect(acl).toContain('off');
    const registry = await suite.op.clients.mongo.client
      .db('parley_platform')
      .collection('tenants')
      .findOne({ _id: tenantB as never });
    expect(registry?.status).toBe('Suspended');
  });

  it('announces the tenant on its lifecycle topic (tenancy.tenant.provisioned.v1, written with the registry entry)', async () => {
    await waitForCondition(namespace, `tenant/${tenantA}`, 'Ready', 'True', 90_000);
    const provisioned = await waitForEvent<{ type: string; tenant: string; payload: { plan: string } }>(
      `parley.${tenantA}.lifecycle`,
      (e) => e.type === 'tenancy.tenant.provisioned.v1',
    );
    expect(provisioned).toMatchObject({
      tenant: tenantA,
      payload: { plan: 'team' },
    });
  });

  it('corrects drift: a topic and the Redis ACL user deleted by hand come back at the next resync', async () => {
    await waitForCondition(namespace, `tenant/${tenantA}`, 'Ready', 'True', 90_000);
    const topic = `parley.${tenantA}.audit`;
    await suite.op.clients.kafka.admin.deleteTopics({ topics: [topic] });
    await suite.op.clients.redis.client.call('ACL', 'DELUSER', `tenant-${tenantA}`);
    // A wider Kafka grant added by hand (every topic) is taken away again.
    const widened = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: '*',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: `User:tenant-${tenantA}`,
      host: '*',
      operation: AclOperationTypes.ALL,
      permissionType: AclPermissionTypes.ALLOW,
    };
    await suite.op.clients.kafka.admin.createAcls({ acl: [widened] });
    await waitFor(
      'topic recreated',
      async () => (await suite.op.clients.kafka.admin.listTopics()).includes(topic),
      60_000,
      500,
    );
    await waitFor(
      'ACL user recreated',
      async () => (await suite.op.clients.redis.client.call('ACL', 'GETUSER', `tenant-${tenantA}`)) !== null,
      30_000,
    );
    await waitFor(
      'the hand-added Kafka ACL removed',
      async () => (await suite.op.clients.kafka.admin.describeAcls(widened)).resources.length === 0,
      30_000,
    );
    const event = await waitFor('a TopicsRecreated event', async () => {
      const events = await kubectlOk([
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        'reason=TopicsRecreated',
        '-o',
        'name',
      ]);
      return events.trim() || undefined;
    });
    expect(event).toContain('event');
  });

  it('corrects config drift: the messages topic set back to compact,delete, a key Parley does not manage left as it was', async () => {
    await waitForCondition(namespace, `tenant/${tenantB}`, 'Ready', 'True', 90_000);
    const topic = `parley.${tenantB}.messages`;
    const kafka = suite.op.clients.kafkaPlatformatic;
    const configsOf = async () => {
      const [d] = await kafka.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
      });
      return new Map((d?.configs ?? []).map((c) => [c.name, c.value]));
    };
    expect((await configsOf()).get('cleanup.policy')).toBe('compact,delete');
    // A tenant provisioned before the messages topic was compacted, plus keys set by hand: one
    // nobody manages, and retention.ms, which a RetentionPolicy owns (the step must not reset it).
    await kafka.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configs: Object.entries({
            'cleanup.policy': 'delete',
            'min.cleanable.dirty.ratio': '0.3',
            'retention.ms': '3600000',
          }).map(([name, value]) => ({
            name,
            value,
            configOperation: IncrementalAlterConfigOperationTypes.SET,
          })),
        },
      ],
    });
    expect((await configsOf()).get('cleanup.policy')).toBe('delete');
    await waitFor(
      'cleanup.policy back to compact,delete',
      async () => (await configsOf()).get('cleanup.policy') === 'compact,delete',
      60_000,
      500,
    );
    const after = await configsOf();
    expect(after.get('min.cleanable.dirty.ratio')).toBe('0.3');
    expect(after.get('retention.ms')).toBe('3600000');
    expect(after.get('max.compaction.lag.ms')).toBe('1800000');
    const note = await waitFor('a TopicConfigCorrected event', async () => {
      const events = await kubectlOk([
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        'reason=TopicConfigCorrected',
        '-o',
        'jsonpath={.items[*].message}',
      ]);
      return events.includes(topic) ? events : undefined;
    });
    expect(note).toContain(`${topic} cleanup.policy=delete->compact,delete`);
  });

  it('refuses a second Tenant of the same id in another namespace without touching its stores', async () => {
    const other = uniqueId('optp-other-');
    await ensureCrdsAndNamespace(other);
    const second = await startTestOperator(other);
    try {
      await kubectlOk(
        ['apply', '-n', other, '-f', '-'],
        await sample('tenant-acme.yaml', tenantA, withoutAdmins),
      );
      const all = await waitForCondition(other, `tenant/${tenantA}`, 'Registry', 'False', 60_000);
      expect(all.find((c) => c.type === 'Registry')?.reason).toBe('TenantIdTaken');
      expect(all.find((c) => c.type === 'Mongo')?.reason).toBe('Blocked');
      expect(all.find((c) => c.type === 'Ready')?.status).toBe('False');
      await kubectlOk(['delete', '-n', other, 'tenant', tenantA, '--timeout=60s']);
      const skipped = await waitFor(
        'the duplicate to be deleted without cleanup',
        async () =>
          (
            await kubectlOk([
              'get',
              'events',
              '-n',
              other,
              '--field-selector',
              'reason=DeletedWithoutCleanup',
              '-o',
              'name',
            ])
          ).trim() || undefined,
      );
      expect(skipped).toContain('event');
    } finally {
      await kubectl(['delete', '-n', other, 'tenant', tenantA, '--timeout=60s']);
      await second.stop();
      await kubectl(['delete', 'namespace', other, '--wait=false']);
    }
    // The original tenant is untouched: its users were not revoked by the impostor's finalizer.
    expect(await suite.op.clients.redis.client.call('ACL', 'GETUSER', `tenant-${tenantA}`)).not.toBeNull();
    expect(await suite.op.clients.redis.client.hget(`t:${tenantA}:runtime`, 'status')).toBe('Ready');
    expect((await conditions(namespace, `tenant/${tenantA}`)).find((c) => c.type === 'Ready')?.status).toBe(
      'True',
    );
  });
});
