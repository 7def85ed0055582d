/**
 * The drift sweep on the real stores: things deleted by hand (a Kafka ACL, a Redis ACL user, a
 * Mongo user where the server has users, else the tenant's database, a MinIO user and its policy,
 * an Elasticsearch index) are found by one sweep, reported on the Tenant (status.lastDrift, Event
 * DriftDetected) and repaired by the reconcile it queues, with the controller's resync set to an hour (so the
 * resync is not what repairs them); and the sweep lists each store once for all tenants,
 * counted by a recording wrapper around the real clients.
 */
import { createSilentLogger } from '@parley/kit/testing';
import {
  kafkaPrincipal,
  kafkaTopic,
  mongoDatabaseName,
  redisAclUser,
  searchIndexName,
} from '@parley/tenancy';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../src/api/resources.ts';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from '../src/kafka-acl-enums.ts';
import { listStores } from '../src/tenant/drift/drift-listing.ts';
import { DriftSweep } from '../src/tenant/drift/drift-sweep.ts';
import { mongoUsername } from '../src/tenant/steps/mongo-step.ts';
import { s3AccessKey, s3PolicyName } from '../src/tenant/steps/s3-user.ts';
import { getJson, kubectlOk, uniqueId, waitFor, waitForCondition } from './operator-fixture.ts';
import { operatorSuite, waitForCachedReady } from './operator-suite.ts';

const tenants = [uniqueId('da'), uniqueId('db'), uniqueId('dc')];
const [a, b] = tenants as [string, string, string];
// Resync an hour away and the operator's own sweep too: only the sweeps this test runs repair.
const suite = operatorSuite({
  prefix: 'opdrift-',
  settings: { OPERATOR_RESYNC_MS: '3600000', OPERATOR_DRIFT_SWEEP_MS: '3600000' },
  tenants: tenants.map((name) => ({ name })),
  // The controller's cache has seen every Tenant Ready (the sweep looks only at Ready ones).
  setup: () => waitForCachedReady(suite, tenants),
});

/** Wraps `target` so every method call, at any depth (es.cat.indices), is recorded by its path. */
function recording<T extends object>(target: T, path: string, calls: string[]): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property);
      const at = `${path}.${String(property)}`;
      if (typeof value === 'function') {
        return (...args: unknown[]) => {
          calls.push(
            property === 'call' || property === 'command' ? `${at}(${JSON.stringify(args[0])})` : at,
          );
          return Reflect.apply(value, object, args);
        };
      }
      if (value && typeof value === 'object' && typeof property === 'string')
        return recording(value, at, calls);
      return value;
    },
  });
}

function recordedSweep(calls: string[]): DriftSweep {
  const { clients } = suite.op;
  const controller = suite.tenantController();
  return new DriftSweep({
    tenants: () => controller.objects() as Tenant[],
    list: () =>
      listStores({
        kafka: recording(clients.kafka.admin, 'kafka', calls),
        kafkaAcls: recording(clients.kafkaPlatformatic, 'kafkaAcls', calls),
        redis: recording(clients.redis.client, 'redis', calls),
        mongoAdmin: recording(clients.mongo.client.db('admin'), 'mongo', calls),
        s3: recording(clients.s3, 's3', calls),
        s3Admin: recording(clients.s3Admin, 's3Admin', calls),
        elasticsearch: recording(clients.elasticsearch, 'es', calls),
      }),
    enqueue: (key) => controller.enqueue(key),
    logger: createSilentLogger(),
    intervalMs: 3_600_000,
  });
}

async function aclsOf(tenant: string) {
  const described = await suite.op.clients.kafka.admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    principal: `User:${kafkaPrincipal(tenant)}`,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  } as never);
  return described.resources.flatMap((r) => r.acls.map(() => r.resourceName));
}

const redisUserExists = async (tenant: string) =>
  (await suite.op.clients.redis.client.call('ACL', 'GETUSER', redisAclUser(tenant))) !== null;

describe('drift sweep', () => {
  it('finds a deleted Kafka ACL, Redis user and Mongo user (or database) in one sweep and the reconcile repairs them', async () => {
    const { clients } = suite.op;
    const calls: string[] = [];
    const sweep = recordedSweep(calls);

    // Settled: nothing has drifted.
    expect((await sweep.sweep()).drifted).toEqual([]);

    // By hand: tenant a loses the read ACL on its messages topic; tenant b its Redis ACL user.
    const messages = kafkaTopic(a, 'messages');
    const messageAcls = (await aclsOf(a)).filter((name) => name === messages).length;
    expect(messageAcls).toBeGreaterThan(0);
    await clients.kafka.admin.deleteAcls({
      filters: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: messages,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: `User:${kafkaPrincipal(a)}`,
          host: '*',
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        },
      ],
    } as never);
    expect(await aclsOf(a)).not.toContain(messages);
    await clients.redis.client.call('ACL', 'DELUSER', redisAclUser(b));
    expect(await redisUserExists(b)).toBe(false);
    // Mongo: the tenant's user where the server manages users; FerretDB has none, so its database.
    const admin = clients.mongo.client.db('admin');
    const usersSupported = await admin
      .command({ usersInfo: { forAllDBs: true } })
      .then(() => true)
      .catch(() => false);
    const db = clients.mongo.client.db(mongoDatabaseName(b));
    if (usersSupported) await db.command({ dropUser: mongoUsername(b) });
    else await db.dropDatabase();

    calls.length = 0;
    const result = await sweep.sweep();
    expect(result.checked).toBe(tenants.length);
    const found = new Map(result.drifted.map((d) => [d.key.name, d.missing]));
    expect([...found.keys()].sort()).toEqual([a, b].sort());
    expect(found.get(a)).toEqual([`${messageAcls} kafka acl(s) of User:${kafkaPrincipal(a)}`]);
    expect(found.get(b)).toEqual([
      `redis user ${redisAclUser(b)}`,
      usersSupported
        ? `mongo user ${mongoDatabaseName(b)}.${mongoUsername(b)}`
        : `mongo database ${mongoDatabaseName(b)}`,
    ]);
    // One listing per store for all three tenants, not a round of calls per tenant.
    expect(calls.sort()).toEqual(
      [
        'es.cat.aliases',
        'es.cat.indices',
        'kafkaAcls.describeAcls',
        'kafka.listTopics',
        'mongo.command({"listDatabases":1,"nameOnly":true})',
        'mongo.command({"usersInfo":{"forAllDBs":true}})',
        'redis.call("ACL")',
        's3.listBuckets',
        's3Admin.listCannedPolicies',
        's3Admin.listUsers',
        'es.security.getRole',
        'es.security.getUser',
      ].sort(),
    );

    // The reconciles the sweep queued put everything back (the resync is an hour away).
    await waitFor(
      'the ACL, Redis user and Mongo state back',
      async () => {
        const acl = (await aclsOf(a)).includes(messages);
        const user = await redisUserExists(b);
        const mongo = usersSupported
          ? ((await db.command({ usersInfo: mongoUsername(b) })).users as unknown[]).length === 1
          : (await db.listCollections({}, { nameOnly: true }).toArray()).length > 0;
        return acl && user && mongo;
      },
      30_000,
    );
    expect((await sweep.sweep()).drifted).toEqual([]);
  }, 120_000);

  it("finds a MinIO user and policy and an Elasticsearch index removed by hand, restores them and tells the Tenant's readers", async () => {
    const { clients } = suite.op;
    const c = tenants[2] as string;
    // By hand: tenant c loses its MinIO user and then its canned policy (MinIO refuses to remove a
    // policy still mapped), tenant a its search index.
    expect(await clients.s3Admin.removeUser(s3AccessKey(c))).toBe(true);
    await clients.s3Admin.removeCannedPolicy(s3PolicyName(c));
    await clients.elasticsearch.indices.delete({ index: searchIndexName(a) });

    // The operator's own sweep (its timer is an hour away), with its reporting.
    const result = await suite.op.operator.driftSweep.sweep();
    const found = new Map(result.drifted.map((d) => [d.key.name, d.missing]));
    expect([...found.keys()].sort()).toEqual([a, c].sort());
    expect(found.get(c)).toEqual([`s3 policy ${s3PolicyName(c)}`, `s3 user ${s3AccessKey(c)}`]);
    expect(found.get(a)).toEqual([`search index ${searchIndexName(a)}`]);

    await waitFor(
      'the MinIO user, its policy and the index back',
      async () =>
        (await clients.s3Admin.userInfo(s3AccessKey(c)))?.policyName === s3PolicyName(c) &&
        (await clients.s3Admin.cannedPolicy(s3PolicyName(c))) !== undefined &&
        (await clients.elasticsearch.indices.exists({ index: searchIndexName(a) })).body,
      30_000,
    );
    // Told: status.lastDrift says what and when, an Event DriftDetected says the same, and the
    // repairing step's own Event says what it put back.
    const lastDrift = async (tenant: string) =>
      (await getJson<Tenant>(suite.namespace, `tenant/${tenant}`))?.status?.lastDrift;
    expect((await lastDrift(c))?.missing).toEqual(found.get(c));
    expect((await lastDrift(a))?.missing).toEqual(found.get(a));
    expect(Date.parse((await lastDrift(c))?.detectedAt ?? '')).toBeGreaterThan(Date.now() - 120_000);
    const events = (tenant: string, reason: string) =>
      kubectlOk([
        'get',
        'events',
        '-n',
        suite.namespace,
        '--field-selector',
        `involvedObject.name=${tenant},reason=${reason}`,
        '-o',
        'jsonpath={.items[*].message}',
      ]);
    expect(await events(c, 'DriftDetected')).toMatch(
      new RegExp(`s3 policy ${s3PolicyName(c)}; s3 user ${s3AccessKey(c)}; reconciling to restore`),
    );
    expect(await events(a, 'DriftDetected')).toMatch(new RegExp(`search index ${searchIndexName(a)}`));
    expect(await events(c, 'S3UserCreated')).not.toBe('');
    // Settled again: the next sweep finds nothing.
    await waitForCondition(suite.namespace, `tenant/${a}`, 'Ready', 'True');
    expect((await suite.op.operator.driftSweep.sweep()).drifted).toEqual([]);
  }, 120_000);

  it("the operator's own sweep runs on its interval, apart from the resync", async () => {
    const op = await suite.restart({ OPERATOR_RESYNC_MS: '3600000', OPERATOR_DRIFT_SWEEP_MS: '2000' });
    // The new operator's first reconciles (one per Tenant at its start) are done.
    await new Promise((r) => setTimeout(r, 6_000));
    await op.clients.redis.client.call('ACL', 'DELUSER', redisAclUser(a));
    const removedAt = Date.now();
    await waitFor('the Redis user back', () => redisUserExists(a), 20_000);
    expect(Date.now() - removedAt).toBeLessThan(20_000);
  }, 60_000);
});
