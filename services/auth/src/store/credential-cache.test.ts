// The credential cache across two replicas (two caches over the same Redis and Mongo): a change
// made through one is seen by the other at its next read, never a stale hash or status.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthFixture, openAuthFixture } from '../testing/auth-fixture.ts';
import { CredentialCache } from './credential-cache.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('CredentialCache', () => {
  it('serves from memory while the version holds and re-reads after a change made elsewhere', async () => {
    await f.register('rita@example.com');
    const c = await f.components.store.forTenant(f.tenant);
    const replicaA = new CredentialCache(f.redis.client);
    const replicaB = new CredentialCache(f.redis.client);
    const read = async (cache: CredentialCache) =>
      cache.get(c, 'rita@example.com', await cache.version(f.tenant, 'rita@example.com'));

    const first = await read(replicaA);
    expect(first).toMatchObject({ status: 'active', mfa: false });
    // Behind the cache's back the document changes; with no version change A keeps its copy.
    await c.users.updateOne({ emailKey: 'rita@example.com' }, { $set: { roles: ['admin'] } });
    expect((await read(replicaA))?.roles).toEqual(['member']);
    // A change through replica B bumps the version: A reads the document again.
    await replicaB.changing(f.tenant, 'rita@example.com', () =>
      c.users.updateOne({ emailKey: 'rita@example.com' }, { $set: { status: 'suspended' } }),
    );
    expect(await read(replicaA)).toMatchObject({ status: 'suspended', roles: ['admin'] });
    expect(await read(replicaA)).toBe(await read(replicaA)); // and caches it again
    expect(await replicaA.get(c, 'nobody@example.com', undefined)).toBeNull();
  });

  it('never serves an entry read before Redis lost the counter, even after a change counted from scratch', async () => {
    await f.register('una@example.com');
    const c = await f.components.store.forTenant(f.tenant);
    const cache = new CredentialCache(f.redis.client);
    const versionKey = cache.versionKey(f.tenant, 'una@example.com');
    const read = async () =>
      cache.get(c, 'una@example.com', await cache.version(f.tenant, 'una@example.com'));
    expect(await read()).toMatchObject({ status: 'active' });
    expect(await read()).toMatchObject({ status: 'active' }); // cached under the counter's random start
    const cachedUnder = await f.redis.client.get(versionKey);
    // Redis loses its data, then a suspension is counted again: from a new random start, so the
    // version the old entry was read under cannot come back.
    await f.redis.client.del(versionKey);
    await cache.changing(f.tenant, 'una@example.com', () =>
      c.users.updateOne({ emailKey: 'una@example.com' }, { $set: { status: 'suspended' } }),
    );
    expect(await f.redis.client.get(versionKey)).not.toBe(cachedUnder);
    expect(await read()).toMatchObject({ status: 'suspended' });
    // And a counter missing at login serves nothing from memory: the document is read.
    await f.redis.client.del(versionKey);
    await c.users.updateOne({ emailKey: 'una@example.com' }, { $set: { status: 'active' } });
    expect(await read()).toMatchObject({ status: 'active' });
    expect(await f.redis.client.get(versionKey)).not.toBeNull();
  });

  it('caches "no such account" too, so an unknown address costs no more than a known one, until the account is created', async () => {
    const c = await f.components.store.forTenant(f.tenant);
    const cache = new CredentialCache(f.redis.client);
    const read = async () =>
      cache.get(c, 'sam@example.com', await cache.version(f.tenant, 'sam@example.com'));
    const reads = vi.spyOn(c.users, 'findOne');
    try {
      expect(await read()).toBeNull();
      expect(await read()).toBeNull();
      expect(reads).toHaveBeenCalledTimes(1);
      // Creating the account (here through an invitation) moves the version: it is read again.
      await f.register('sam@example.com');
      expect(await read()).toMatchObject({ status: 'active' });
    } finally {
      reads.mockRestore();
    }
    // And through the service: the new account logs in at once after an unknown-address attempt.
    await expect(f.login('tom@example.com')).rejects.toThrow(/401/);
    await f.register('tom@example.com');
    await expect(f.login('tom@example.com')).resolves.toHaveProperty('accessToken');
  });
});
