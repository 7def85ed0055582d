/**
 * The registry the operator writes and the tenant directory the services read (packages/tenancy's
 * tenant-directory.ts) agree: entries made by the operator's own registry functions, on the real
 * Mongo-wire server, in a platform database of the test's own, are listed by the directory as
 * the services must see them; a stray tenant database with no entry is never listed.
 */
import { randomUUID } from 'node:crypto';
import { connectMongo, loadConfig, type MongoConnection, mongoSettings, Type } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { mongoDatabaseName, TenantDirectory } from '@parley/tenancy';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../api/resources.ts';
import { desiredTenant } from './desired-state.ts';
import {
  claimTenantId,
  REGISTRY_COLLECTION,
  type RegistryEntry,
  recordTenantDeleted,
  recordTenantState,
} from './registry.ts';

let mongo: MongoConnection;
let platformDb: Db;
const suffix = randomUUID().slice(0, 6);
const stray = `stray-${suffix}`;

function tenant(name: string, suspended = false): Tenant {
  return {
    apiVersion: 'parley.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name, namespace: 'parley', generation: 1, uid: `uid-${name}` },
    spec: { displayName: name, plan: 'team', suspended },
  };
}

beforeAll(async () => {
  mongo = await connectMongo(loadConfig(Type.Object(mongoSettings)).MONGO_URL, createSilentLogger());
  platformDb = mongo.client.db(`parley_dir_test_${suffix}`);
  // A tenant database nobody registered (a test's leftovers): it must not be taken for a tenant.
  await mongo.client
    .db(mongoDatabaseName(stray))
    .collection('outbox')
    .insertOne({ _id: 'x' } as never);
});

afterAll(async () => {
  await mongo.client.db(mongoDatabaseName(stray)).dropDatabase();
  await platformDb.dropDatabase();
  await mongo.stop();
});

describe('the tenant directory over the operator registry', () => {
  it("carries spec.gdpr.erasureMode to the services, and a later change of it (unset: the service's default)", async () => {
    const registry = platformDb.collection<RegistryEntry>(REGISTRY_COLLECTION);
    const now = new Date();
    const id = `gdpr-${suffix}`;
    const withMode = (erasureMode?: 'delete' | 'anonymise'): Tenant => {
      const t = tenant(id);
      return erasureMode ? { ...t, spec: { ...t.spec, gdpr: { erasureMode } } } : t;
    };
    const claim = { uid: `uid-${id}`, name: id, generation: 1, adoptRetained: undefined };
    await claimTenantId(registry, desiredTenant(withMode()), claim, now);
    await recordTenantState(registry, desiredTenant(withMode()), claim.uid, true, 1, now);
    const directory = new TenantDirectory(platformDb, { cacheMs: 0 });
    expect(await directory.gdprOf(id)).toEqual({});
    await recordTenantState(registry, desiredTenant(withMode('anonymise')), claim.uid, true, 2, now);
    expect(await directory.gdprOf(id)).toEqual({ erasureMode: 'anonymise' });
    await recordTenantState(registry, desiredTenant(withMode('delete')), claim.uid, true, 3, now);
    expect(await directory.gdprOf(id)).toEqual({ erasureMode: 'delete' });
    expect(await directory.gdprOf(`nobody-${suffix}`)).toEqual({});
    await registry.deleteOne({ _id: id });
  });

  it('lists each tenant by where the operator says it stands', async () => {
    const registry = platformDb.collection<RegistryEntry>(REGISTRY_COLLECTION);
    const now = new Date();
    const ids = {
      provisioning: `prov-${suffix}`,
      ready: `ready-${suffix}`,
      suspended: `susp-${suffix}`,
      retained: `kept-${suffix}`,
    };
    for (const [key, id] of Object.entries(ids)) {
      const t = tenant(id, key === 'suspended');
      const desired = desiredTenant(t);
      const claim = { uid: `uid-${id}`, name: id, generation: 1, adoptRetained: undefined };
      await claimTenantId(registry, desired, claim, now);
      if (key !== 'provisioning') await recordTenantState(registry, desired, claim.uid, true, 1, now);
      if (key === 'retained') await recordTenantDeleted(registry, id, claim.uid, 'Retain', 1, now);
    }
    const directory = new TenantDirectory(platformDb, { cacheMs: 0 });
    expect(await directory.served()).toEqual([ids.ready, ids.suspended].sort());
    expect(await directory.withData()).toEqual([ids.retained, ids.ready, ids.suspended].sort());
    expect(await directory.withData()).not.toContain(stray);

    // Ready later: listed once the operator says so (with no cache, at the next call).
    const desired = desiredTenant(tenant(ids.provisioning));
    await recordTenantState(registry, desired, `uid-${ids.provisioning}`, true, 1, now);
    expect(await directory.served()).toContain(ids.provisioning);
  });

  it('remembers the list for its cache period', async () => {
    const registry = platformDb.collection<RegistryEntry>(REGISTRY_COLLECTION);
    const directory = new TenantDirectory(platformDb, { cacheMs: 60_000 });
    const before = await directory.served();
    const late = `late-${suffix}`;
    const desired = desiredTenant(tenant(late));
    await claimTenantId(
      registry,
      desired,
      { uid: `uid-${late}`, name: late, generation: 1, adoptRetained: undefined },
      new Date(),
    );
    await recordTenantState(registry, desired, `uid-${late}`, true, 1, new Date());
    expect(await directory.served()).toEqual(before);
    expect(await new TenantDirectory(platformDb, { cacheMs: 0 }).served()).toContain(late);
  });
});
