// Parallel guessing against the lockout, on the real stack: every guess is reserved in Redis before
// its hash, so a burst sent at once evaluates no more guesses than the threshold allows. The
// hasher counts real verifications (decoys included), which is what an attacker's burst buys.

import { redisKey } from '@parley/tenancy';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountKey, BruteForceGuard } from './domain/brute-force-guard.ts';
import { PasswordHasher } from './domain/password-hasher.ts';
import { currentTotp } from './domain/totp.ts';
import { type AuthFixture, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

/** Counts every verification it runs (a decoy's too: verifyDecoy goes through verify). */
class CountingHasher extends PasswordHasher {
  verifications = 0;
  override verify(phc: string, password: string): Promise<boolean> {
    this.verifications += 1;
    return super.verify(phc, password);
  }
}

const ACCOUNT_THRESHOLD = 3;
const ADDRESS_THRESHOLD = 6;
const BURST = 50;

let f: AuthFixture;
let hasher: CountingHasher;
beforeAll(async () => {
  f = await openAuthFixture(
    {
      lockout: {
        accountThreshold: ACCOUNT_THRESHOLD,
        addressThreshold: ADDRESS_THRESHOLD,
        baseSeconds: 30,
        maxSeconds: 60,
        windowSeconds: 60,
      },
    },
    {
      hasher: (policy) => {
        hasher = new CountingHasher(policy.argon2, { concurrency: policy.hashingConcurrency });
        return hasher;
      },
    },
  );
});
afterAll(async () => {
  await f?.close();
});
beforeEach(() => {
  hasher.verifications = 0;
});

const login = (email: string, password: string, ip: string) =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/login`,
    payload: { email, password },
    remoteAddress: ip,
  });

function counts(statuses: number[]): Record<number, number> {
  const all: Record<number, number> = {};
  for (const s of statuses) all[s] = (all[s] ?? 0) + 1;
  return all;
}

describe('parallel guesses against the lockout', () => {
  it('50 wrong passwords sent at once evaluate no more than the limit, and the right one after the lock is refused', async () => {
    await f.register('burst@example.com');
    hasher.verifications = 0;
    const burst = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        login('burst@example.com', `wrong-guess-${i}`, `198.51.100.${i + 1}`),
      ),
    );
    expect(hasher.verifications).toBeLessThanOrEqual(ACCOUNT_THRESHOLD);
    expect(counts(burst.map((r) => r.statusCode))).toEqual({
      401: ACCOUNT_THRESHOLD,
      429: BURST - ACCOUNT_THRESHOLD,
    });
    for (const refused of burst.filter((r) => r.statusCode === 429)) {
      expect(refused.json().type).toBe('https://parley.dev/problems/too-many-requests');
    }
    const right = await login('burst@example.com', PASSWORD, '198.51.100.200');
    expect(right.statusCode).toBe(429);
    expect(right.json()).not.toHaveProperty('accessToken');
    expect(hasher.verifications).toBeLessThanOrEqual(ACCOUNT_THRESHOLD);
  });

  it('50 wrong passwords for an address without an account evaluate no more than the limit either', async () => {
    const burst = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        login('nobody-burst@example.com', `wrong-${i}`, `198.51.101.${i + 1}`),
      ),
    );
    expect(hasher.verifications).toBeLessThanOrEqual(ACCOUNT_THRESHOLD);
    expect(burst.filter((r) => r.statusCode === 401)).toHaveLength(ACCOUNT_THRESHOLD);
  });

  it('50 wrong passwords sent at once from one address to many accounts evaluate no more than the address limit', async () => {
    const burst = await Promise.all(
      Array.from({ length: BURST }, (_, i) => login(`spray-burst-${i}@example.com`, 'wrong', '203.0.113.99')),
    );
    expect(hasher.verifications).toBeLessThanOrEqual(ADDRESS_THRESHOLD);
    expect(burst.filter((r) => r.statusCode === 401)).toHaveLength(ADDRESS_THRESHOLD);
    expect(burst.filter((r) => r.statusCode === 429)).toHaveLength(BURST - ADDRESS_THRESHOLD);
  });

  it('50 wrong re-authentications sent at once with a stolen access token evaluate no more than the limit', async () => {
    await f.register('reauth-burst@example.com');
    const session = await f.login('reauth-burst@example.com');
    hasher.verifications = 0;
    const burst = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        f.app.inject({
          method: 'POST',
          url: '/v1/me/password',
          headers: { authorization: `Bearer ${String(session.accessToken)}` },
          payload: { currentPassword: `wrong-${i}`, newPassword: 'a brand new passphrase' },
          remoteAddress: `192.0.2.${i + 1}`,
        }),
      ),
    );
    expect(hasher.verifications).toBeLessThanOrEqual(ACCOUNT_THRESHOLD);
    expect(burst.filter((r) => r.statusCode === 401)).toHaveLength(ACCOUNT_THRESHOLD);
    expect(burst.filter((r) => r.statusCode === 429)).toHaveLength(BURST - ACCOUNT_THRESHOLD);
    // The right password after the lock changes nothing.
    const right = await f.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: { authorization: `Bearer ${String(session.accessToken)}` },
      payload: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
      remoteAddress: '192.0.2.200',
    });
    expect(right.statusCode).toBe(429);
    expect(
      await hasher.verify(
        (
          await (
            await f.components.store.forTenant(f.tenant)
          ).users.findOne({ emailKey: 'reauth-burst@example.com' })
        )?.passwordHash ?? '',
        PASSWORD,
      ),
    ).toBe(true);
  });

  it('50 wrong TOTP codes sent at once on one challenge evaluate no more than the limit', async () => {
    await f.register('totp-burst@example.com');
    const session = await f.login('totp-burst@example.com');
    const enrol = await f.post('/v1/me/mfa/totp', session.accessToken, { password: PASSWORD });
    const secret = enrol.json().secret as string;
    const confirmed = await f.post('/v1/me/mfa/totp/confirm', session.accessToken, {
      code: await currentTotp(secret, Date.now() / 1000 - 30),
    });
    expect(confirmed.statusCode).toBe(200);
    const step = await login('totp-burst@example.com', PASSWORD, '198.51.103.250');
    const { challenge } = step.json();
    expect(challenge).toEqual(expect.any(String));
    // Wrong codes: none of them valid in the steps the check accepts (now, one before, one after).
    const now = Date.now() / 1000;
    const valid = new Set(await Promise.all([-30, 0, 30].map((skew) => currentTotp(secret, now + skew))));
    const wrong: string[] = [];
    for (let n = 0; wrong.length < BURST; n++) {
      const code = String(n).padStart(6, '0');
      if (!valid.has(code)) wrong.push(code);
    }
    const burst = await Promise.all(
      wrong.map((code, i) =>
        f.app.inject({
          method: 'POST',
          url: `/v1/tenants/${f.tenant}/login/mfa`,
          payload: { challenge, code },
          remoteAddress: `198.51.103.${i + 1}`,
        }),
      ),
    );
    expect(counts(burst.map((r) => r.statusCode))).toEqual({
      401: ACCOUNT_THRESHOLD,
      429: BURST - ACCOUNT_THRESHOLD,
    });
  });

  it('a right guess whose reservation was lost while it was evaluated gets no token', async () => {
    await f.register('lost@example.com');
    const guard = new BruteForceGuard(f.redis.client, f.policy.lockout);
    const attempt = { tenant: f.tenant, account: accountKey('lost@example.com'), ip: '198.51.102.1' };
    const reservation = await guard.reserve(attempt);
    // What a lockout (or the reservation's expiry) does to the guesses in flight.
    const inflight = `${redisKey(f.tenant, 'auth', 'bf', 'acct', attempt.account)}:inflight`;
    expect(await f.redis.client.zcard(inflight)).toBe(1);
    await f.redis.client.del(inflight);
    await expect(guard.succeed(reservation, { clearHistory: true })).rejects.toMatchObject({ status: 429 });
  });
});
