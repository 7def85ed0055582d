// Open sign-up's caps on the real stack (Redis counters, Mongo): per e-mail address and per source
// address, with growing lockouts, answered alike whether or not the address has an account, and
// never locking the address's owner out of logging in.
import { eventually } from '@parley/kit/testing';
import { redisKey } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountKey } from './domain/brute-force-guard.ts';
import type { TenantCollections } from './store/tenant-store.ts';
import { type AuthFixture, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

// Long enough that a lock cannot lapse between two requests on a loaded machine (each hashes).
const BASE_SECONDS = 10;

let f: AuthFixture;
let c: TenantCollections;
beforeAll(async () => {
  f = await openAuthFixture({
    signUpLimits: {
      accountThreshold: 2,
      addressThreshold: 4,
      baseSeconds: BASE_SECONDS,
      maxSeconds: 60,
      windowSeconds: 600,
    },
  });
  c = await f.components.store.forTenant(f.tenant);
  await c.settings.updateOne({ _id: 'auth' }, { $set: { openSignUp: true } }, { upsert: true });
});
afterAll(async () => {
  await f?.close();
});

let nextHost = 1;
/** A source address of its own for each request unless one is given. */
const signUp = (email: string, ip = `198.51.100.${nextHost++}`) =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/sign-up`,
    payload: { email, password: 'a brand new passphrase 42', displayName: 'Someone' },
    remoteAddress: ip,
  });

describe('open sign-up limits', () => {
  it('caps requests per e-mail address, alike for an address with an account and a new one', async () => {
    await f.register('member@example.com');
    const known = [];
    const fresh = [];
    for (let i = 0; i < 3; i++) {
      known.push(await signUp('member@example.com'));
      fresh.push(await signUp('newcomer@example.com'));
    }
    expect(known.map((r) => r.statusCode)).toEqual([202, 202, 429]);
    expect(fresh.map((r) => r.statusCode)).toEqual([202, 202, 429]);
    // The same refusal for both; only the seconds left may differ (each lock started at its own time).
    const refusals = [known[2], fresh[2]].map((r) => {
      if (!r) throw new Error('a request is missing');
      const { retryAfter, ...rest } = r.json() as { retryAfter: number };
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(BASE_SECONDS);
      expect(r.headers['retry-after']).toBe(String(retryAfter));
      return rest;
    });
    expect(refusals[0]).toEqual(refusals[1]);
    expect(refusals[0]).toMatchObject({
      type: 'https://parley.dev/problems/too-many-requests',
      detail: 'Too many sign-up requests for this address or from this network; try again later',
    });
    // A refused request wrote nothing: two requests, two documents, per address.
    expect(await c.signUps.countDocuments({ emailKey: 'member@example.com' })).toBe(2);
    expect(await c.signUps.countDocuments({ emailKey: 'newcomer@example.com' })).toBe(2);
    // Sign-ups have their own counters: the member still logs in.
    await expect(f.login('member@example.com', PASSWORD)).resolves.toHaveProperty('accessToken');
  });

  it('grows the lockout with each one', async () => {
    const email = 'grower@example.com';
    expect((await signUp(email)).statusCode).toBe(202);
    expect((await signUp(email)).statusCode).toBe(202);
    expect((await signUp(email)).statusCode).toBe(429);
    // Once the first lockout ends (a refused request does not count), two more are admitted...
    await eventually(
      async () => (await signUp(email)).statusCode,
      (status) => status === 202,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect((await signUp(email)).statusCode).toBe(202);
    // ...and the second lockout lasts twice the first.
    const second = await signUp(email);
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(BASE_SECONDS);
    const lock = redisKey(f.tenant, 'auth', 'sign-up', 'acct', accountKey(email), 'lock');
    expect(await f.redis.client.get(lock)).toBe('2');
  });

  it('caps requests per source address, whatever addresses they name', async () => {
    const source = '203.0.113.77';
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await signUp(`crowd-${i}@example.com`, source)).statusCode);
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
    // Another source is not affected.
    expect((await signUp('crowd-5@example.com', '203.0.113.78')).statusCode).toBe(202);
  });
});
