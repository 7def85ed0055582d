// The credential cache across two replicas (two caches over the same Redis and Mongo): a change
// made through one is seen by the other at its next read, never a stale hash or status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(await replicaA.get(c, 'nobody@example.com', '0')).toBeNull();
  });
});
