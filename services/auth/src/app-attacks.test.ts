// The attack list, against the real app on the real stack: forged and stale access tokens,
// a revoked session's token, refresh-token reuse, TOTP replay and recovery-code brute force.
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from './domain/totp.ts';
import { type AuthFixture, bearer, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

let f: AuthFixture;
let tokens: Record<string, unknown>;
let userId: string;

beforeAll(async () => {
  f = await openAuthFixture({ refreshReuseGraceSeconds: 2 });
  userId = await f.register('mallory-target@example.com', ['member']);
  tokens = await f.login('mallory-target@example.com');
});
afterAll(async () => {
  await f?.close();
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const me = (token: string) => f.app.inject({ url: '/v1/me', headers: bearer(token) });
const parts = (token: unknown) => String(token).split('.') as [string, string, string];
const claimsOf = (token: unknown) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString());
const headerOf = (token: unknown) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString());

async function signWithTenantKey(claims: Record<string, unknown>): Promise<string> {
  const signer = await f.components.signingKeys.signerFor(f.tenant);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'at+jwt' })
    .sign(signer.privateKey);
}

describe('forged or stale access tokens are refused', () => {
  it('accepts the genuine token (the control)', async () => {
    expect((await me(tokens.accessToken as string)).statusCode).toBe(200);
  });

  it('alg "none"', async () => {
    const token = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${parts(tokens.accessToken)[1]}.`;
    const response = await me(token);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('invalid_token');
  });

  it('HS256 signed with the published public key', async () => {
    const jwks = (await f.app.inject({ url: `/v1/tenants/${f.tenant}/.well-known/jwks.json` })).json() as {
      keys: { kid: string; x: string }[];
    };
    const kid = headerOf(tokens.accessToken).kid;
    const publicKey = jwks.keys.find((key) => key.kid === kid);
    expect(publicKey).toBeDefined();
    const header = b64url({ alg: 'HS256', kid, typ: 'at+jwt' });
    const body = b64url({ ...claimsOf(tokens.accessToken), roles: ['admin'] });
    for (const secret of [
      Buffer.from(publicKey?.x ?? '', 'base64url'),
      Buffer.from(JSON.stringify(publicKey)),
    ]) {
      const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
      expect((await me(`${header}.${body}.${signature}`)).statusCode).toBe(401);
    }
  });

  it('expired and not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = claimsOf(tokens.accessToken);
    expect(
      (await me(await signWithTenantKey({ ...base, iat: now - 3600, nbf: now - 3600, exp: now - 60 })))
        .statusCode,
    ).toBe(401);
    expect((await me(await signWithTenantKey({ ...base, nbf: now + 600, exp: now + 900 }))).statusCode).toBe(
      401,
    );
  });

  it('wrong issuer or audience', async () => {
    const base = claimsOf(tokens.accessToken);
    expect((await me(await signWithTenantKey({ ...base, iss: 'https://evil.example' }))).statusCode).toBe(
      401,
    );
    expect((await me(await signWithTenantKey({ ...base, aud: 'another-service' }))).statusCode).toBe(401);
  });

  it('tampered payload', async () => {
    const [header, , signature] = parts(tokens.accessToken);
    const forged = `${header}.${b64url({ ...claimsOf(tokens.accessToken), roles: ['admin'] })}.${signature}`;
    expect((await me(forged)).statusCode).toBe(401);
    expect((await f.app.inject({ url: '/v1/admin/users', headers: bearer(forged) })).statusCode).toBe(401);
  });

  it('a token of a revoked session', async () => {
    const session = await f.login('mallory-target@example.com');
    expect((await me(session.accessToken as string)).statusCode).toBe(200);
    await f.app.inject({ method: 'POST', url: '/v1/logout', headers: bearer(session.accessToken) });
    expect((await me(session.accessToken as string)).statusCode).toBe(401);
  });
});

describe('refresh-token reuse', () => {
  const refresh = (token: unknown) =>
    f.app.inject({ method: 'POST', url: `/v1/tenants/${f.tenant}/token`, payload: { refreshToken: token } });

  it('revokes that family only; the same user’s other sessions stay alive', async () => {
    const victim = await f.login('mallory-target@example.com');
    const other = await f.login('mallory-target@example.com');
    const rotated = await refresh(victim.refreshToken);
    expect(rotated.statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // past the 2 s grace window
    const replay = await refresh(victim.refreshToken);
    expect(replay.statusCode).toBe(401);
    // The family is dead: even its newest token and access token are refused now.
    expect((await refresh(rotated.json().refreshToken)).statusCode).toBe(401);
    expect((await me(rotated.json().accessToken)).statusCode).toBe(401);
    // The other login is untouched.
    expect((await me(other.accessToken as string)).statusCode).toBe(200);
    expect((await refresh(other.refreshToken)).statusCode).toBe(200);
    const session = await (await f.components.store.forTenant(f.tenant)).sessions.findOne({
      _id: victim.sessionId as string,
    });
    expect(session?.revokedReason).toBe('refresh-token-reuse');
  });

  it('lets concurrent refreshes with one token through within the grace window', async () => {
    const session = await f.login('mallory-target@example.com');
    const [a, b] = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json().refreshToken).not.toBe(b.json().refreshToken);
    // Either sibling can carry on.
    expect((await refresh(b.json().refreshToken)).statusCode).toBe(200);
  });

  it('refuses a malformed or foreign refresh token', async () => {
    expect((await refresh('not-a-token')).statusCode).toBe(401);
    const session = await f.login('mallory-target@example.com');
    const [sessionId] = String(session.refreshToken).split('.');
    expect((await refresh(`${sessionId}.${'A'.repeat(43)}`)).statusCode).toBe(401);
  });
});

describe('second-factor attacks', () => {
  let secret: string;
  let recoveryCodes: string[];
  const login = () =>
    f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'mfa-user@example.com', password: PASSWORD },
    });
  const answer = (challenge: string, body: Record<string, string>) =>
    f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login/mfa`,
      payload: { challenge, ...body },
    });

  beforeAll(async () => {
    await f.register('mfa-user@example.com');
    const session = await f.login('mfa-user@example.com');
    const enrol = await f.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp',
      headers: bearer(session.accessToken),
      payload: { password: PASSWORD },
    });
    secret = enrol.json().secret;
    // Confirm with the previous step's code so the current step stays unused for the tests below.
    const confirmed = await f.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp/confirm',
      headers: bearer(session.accessToken),
      payload: { code: await currentTotp(secret, Date.now() / 1000 - 30) },
    });
    expect(confirmed.statusCode).toBe(200);
    recoveryCodes = confirmed.json().recoveryCodes;
  });

  it('refuses a TOTP code replayed within its window', async () => {
    const code = await currentTotp(secret);
    const first = (await login()).json();
    expect(first).toMatchObject({ mfaRequired: true });
    const accepted = await answer(first.challenge, { code });
    expect(accepted.statusCode).toBe(200);
    expect(await f.components.authClient.verifier.verify(accepted.json().accessToken)).toMatchObject({
      amr: ['pwd', 'otp', 'mfa'],
    });
    const second = (await login()).json();
    const replay = await answer(second.challenge, { code });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().type).toBe('https://parley.dev/problems/invalid-second-factor');
  });

  it('takes one TOTP code once even when it is sent on two challenges at the same moment', async () => {
    await new Promise((resolve) => setTimeout(resolve, (30 - ((Date.now() / 1000) % 30) + 0.2) * 1000)); // a fresh step
    const code = await currentTotp(secret);
    const [c1, c2] = [(await login()).json().challenge, (await login()).json().challenge];
    const results = await Promise.all([answer(c1, { code }), answer(c2, { code })]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  }, 45_000);

  it('takes one recovery code once', async () => {
    const code = recoveryCodes.pop() as string;
    const [c1, c2] = [(await login()).json().challenge, (await login()).json().challenge];
    const results = await Promise.all([
      answer(c1, { recoveryCode: code }),
      answer(c2, { recoveryCode: code }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    const accepted = results.find((r) => r.statusCode === 200);
    expect(await f.components.authClient.verifier.verify(accepted?.json().accessToken)).toMatchObject({
      amr: ['pwd', 'mfa'],
    });
  });

  it('does not let a known password reset the count of wrong TOTP codes', async () => {
    await f.register('mfa-guess@example.com');
    const session = await f.login('mfa-guess@example.com');
    const enrol = await f.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp',
      headers: bearer(session.accessToken),
      payload: { password: PASSWORD },
    });
    const own = enrol.json().secret as string;
    await f.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp/confirm',
      headers: bearer(session.accessToken),
      payload: { code: await currentTotp(own) },
    });
    const passwordStep = () =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/login`,
        payload: { email: 'mfa-guess@example.com', password: PASSWORD },
      });
    const statuses: number[] = [];
    for (let i = 0; i < f.policy.lockout.accountThreshold; i++) {
      const step = await passwordStep(); // a fresh challenge each time, the password always right
      if (step.statusCode !== 200) {
        statuses.push(step.statusCode);
        break;
      }
      statuses.push((await answer(step.json().challenge, { code: '000000' })).statusCode);
    }
    expect(statuses).toEqual(Array(f.policy.lockout.accountThreshold).fill(401));
    expect((await passwordStep()).statusCode).toBe(429);
  });

  it('locks the account under recovery-code brute force, and a right code is refused while locked', async () => {
    const { challenge } = (await login()).json();
    const kept = (await login()).json().challenge;
    const threshold = f.policy.lockout.accountThreshold;
    // Earlier failures of this account may already count: guess until refused, never past the threshold.
    const statuses: number[] = [];
    for (let i = 0; i < threshold + 1 && !statuses.includes(429); i++) {
      statuses.push(
        (await answer(challenge, { recoveryCode: `aaaaa-aaa${String.fromCharCode(97 + i)}a` })).statusCode,
      );
    }
    const guesses = statuses.filter((status) => status === 401).length;
    expect(guesses).toBeGreaterThan(0);
    expect(guesses).toBeLessThanOrEqual(threshold);
    // Locked now: a real recovery code on another open challenge is refused, and so is a new login.
    const right = await answer(kept, { recoveryCode: recoveryCodes[0] as string });
    expect(right.statusCode).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    const locked = await login();
    expect(locked.statusCode).toBe(429);
    // The guessed codes never worked, and the real ones are all still unused.
    const user = await (await f.components.store.forTenant(f.tenant)).users.findOne({
      emailKey: 'mfa-user@example.com',
    });
    expect(user?.recoveryCodeHashes).toHaveLength(recoveryCodes.length);
    expect(userId).toBeTruthy();
  });
});
