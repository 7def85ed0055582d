// Brute-force protection in Redis: lockouts per account and per address, their growth and expiry;
// and the upgrade of a password hash made with older parameters at the next login.
import { redisKey } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountKey } from './domain/brute-force-guard.ts';
import { PasswordHasher, phcHeader } from './domain/password-hasher.ts';
import { type AuthFixture, openAuthFixture, PASSWORD, SERVICE_TOKEN } from './testing/auth-fixture.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture({
    lockout: { accountThreshold: 3, addressThreshold: 6, baseSeconds: 1, maxSeconds: 4, windowSeconds: 60 },
  });
});
afterAll(async () => {
  await f?.close();
});

const attempt = (email: string, password: string, ip = '203.0.113.7') =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/login`,
    payload: { email, password },
    remoteAddress: ip,
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lockout', () => {
  it('locks an account after the threshold, refuses even the right password, and expires', async () => {
    await f.register('henry@example.com');
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await attempt('henry@example.com', `wrong-${i}`, `198.51.100.${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401]);
    const locked = await attempt('henry@example.com', PASSWORD, '198.51.100.50');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().type).toBe('https://parley.dev/problems/too-many-requests');
    expect(locked.headers['retry-after']).toBe('1');
    await sleep(1_100);
    expect((await attempt('henry@example.com', PASSWORD, '198.51.100.50')).statusCode).toBe(200);
  });

  it('grows with each lockout', async () => {
    await f.register('ivy@example.com');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) await attempt('ivy@example.com', 'wrong', `192.0.2.${round * 10 + i}`);
      if (round === 0) await sleep(1_100);
    }
    const second = await attempt('ivy@example.com', PASSWORD, '192.0.2.99');
    expect(second.statusCode).toBe(429);
    // The second lockout is the second level and lasts twice the first (2 s, the base being 1 s).
    const lock = redisKey(f.tenant, 'auth', 'bf', 'acct', accountKey('ivy@example.com'), 'lock');
    expect(await f.redis.client.get(lock)).toBe('2');
    expect(await f.redis.client.pttl(lock)).toBeGreaterThan(1_000);
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('treats an unknown account exactly like a known one', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    await f.register('jack@example.com');
    for (let i = 0; i < 4; i++) {
      known.push((await attempt('jack@example.com', 'wrong', `100.64.0.${i}`)).statusCode);
      unknown.push((await attempt('nobody-here@example.com', 'wrong', `100.64.1.${i}`)).statusCode);
    }
    expect(known).toEqual([401, 401, 401, 429]);
    expect(unknown).toEqual(known);
  });

  it('seals failures of addresses without an account under one existing key, not a new key per address', async () => {
    for (const address of ['probe-1@example.com', 'probe-2@example.com', 'probe-3@example.com']) {
      expect((await attempt(address, 'wrong', '100.64.2.1')).statusCode).toBe(401);
    }
    const c = await f.components.store.forTenant(f.tenant);
    const failures = await c.securityEvents.find({ action: 'auth.security.login-failed' }).toArray();
    const personal = failures
      .flatMap(
        (d) =>
          (d as unknown as { _outbox: { payload: { actor: { type: string }; personal?: unknown[] } }[] })
            ._outbox,
      )
      .filter((e) => e.payload.actor.type === 'anonymous')
      .flatMap((e) => e.payload.personal ?? []);
    expect(personal.length).toBeGreaterThanOrEqual(3);
    for (const entry of personal) {
      expect(entry).toMatchObject({ subject: 'unknown-accounts', keyName: 'subject:unknown-accounts' });
    }
    const keys = (await f.keyring.listKeys(f.tenant)).map((k) => k.keyName);
    expect(keys.filter((name) => name.startsWith('subject:account.'))).toEqual([]);
  });

  it('locks a source address that sprays many accounts', async () => {
    const ip = '233.252.0.1';
    const statuses = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await attempt(`spray-${i}@example.com`, 'wrong', ip)).statusCode);
    expect(statuses.slice(0, 6)).toEqual(Array(6).fill(401));
    expect(statuses[6]).toBe(429);
    // The same accounts from elsewhere are not affected.
    expect((await attempt('spray-0@example.com', 'wrong', '233.252.0.2')).statusCode).toBe(401);
  });
});

describe('password hash upgrade', () => {
  it('rehashes a hash made with older (weaker) parameters at the next successful login', async () => {
    const userId = await f.register('kate@example.com');
    const c = await f.components.store.forTenant(f.tenant);
    const current = f.components.hasher.parameters;
    const stronger = new PasswordHasher({ ...current, passes: current.passes + 1 });
    expect(f.components.hasher.needsRehash(await stronger.hash(PASSWORD))).toBe(false);
    // Simulate a hash from an older deployment: an argon2id PHC string at weaker parameters.
    const old = '$argon2id$v=19$m=4096,t=1,p=1$';
    const { deriveArgon2id, formatPhc } = await import('./domain/password-hasher.ts');
    const salt = Buffer.from('0123456789abcdef');
    const weak = formatPhc({
      parameters: { memoryKiB: 4096, passes: 1, parallelism: 1 },
      salt,
      hash: await deriveArgon2id(PASSWORD, salt, { memoryKiB: 4096, passes: 1, parallelism: 1 }),
    });
    expect(weak.startsWith(old)).toBe(true);
    await c.users.updateOne({ _id: userId }, { $set: { passwordHash: weak } });
    expect((await attempt('kate@example.com', PASSWORD, '10.9.9.9')).statusCode).toBe(200);
    const upgraded = (await c.users.findOne({ _id: userId }))?.passwordHash ?? '';
    expect(upgraded.slice(0, phcHeader(current).length)).toBe(phcHeader(current));
    expect(await f.components.hasher.verify(upgraded, PASSWORD)).toBe(true);
  });
});

describe('the client address behind the gateway', () => {
  it('believes x-forwarded-for only with the service credential', async () => {
    const viaGateway = (forwarded: string, token?: string) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/login`,
        payload: { email: `fwd-${forwarded}@example.com`, password: 'wrong' },
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': forwarded, ...(token ? { 'x-service-token': token } : {}) },
      });
    // Seven failures from seven forwarded clients through one gateway: no address is locked.
    for (let i = 0; i < 7; i++)
      expect((await viaGateway(`198.18.0.${i}`, SERVICE_TOKEN)).statusCode).toBe(401);
    // Without the credential the header is ignored: the failures count against the socket address.
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await viaGateway(`198.18.1.${i}`)).statusCode);
    expect(statuses.at(-1)).toBe(429);
  });
});
