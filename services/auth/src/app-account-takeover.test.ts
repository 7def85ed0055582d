// Keeping an account once a token was stolen or a role withdrawn, on the real stack: enrolling
// an authenticator needs the password again, a pending enrolment expires, a role change or a
// suspension ends every session at once, and recovery codes are too large to search offline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLMENT_TTL_MS } from './domain/mfa.ts';
import { currentTotp } from './domain/totp.ts';
import { type AuthFixture, bearer, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

const users = async () => (await f.components.store.forTenant(f.tenant)).users;

/** Polls until a request with the token is refused (revocations reach the verifier over Redis). */
async function refusedWithin(token: unknown, url: string, ms = 2_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = (await f.app.inject({ url, headers: bearer(token) })).statusCode;
    if (status === 401 || Date.now() - started > ms) return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const refresh = (refreshToken: unknown) =>
  f.app.inject({ method: 'POST', url: `/v1/tenants/${f.tenant}/token`, payload: { refreshToken } });

describe('MFA enrolment needs recent authentication', () => {
  it("a stolen access token alone cannot enrol the thief's authenticator", async () => {
    const userId = await f.register('victim-mfa@example.com');
    const stolen = await f.login('victim-mfa@example.com');
    const bare = await f.post('/v1/me/mfa/totp', stolen.accessToken);
    expect(bare.statusCode).toBe(400);
    const guessed = await f.post('/v1/me/mfa/totp', stolen.accessToken, { password: 'not the password' });
    expect(guessed.statusCode).toBe(401);
    expect(guessed.json().type).toBe('https://parley.dev/problems/reauthentication-failed');
    expect(guessed.body).not.toContain('secret');
    expect((await (await users()).findOne({ _id: userId }))?.totpPending).toBeUndefined();
    // The owner, who knows the password, can.
    const owner = await f.post('/v1/me/mfa/totp', stolen.accessToken, { password: PASSWORD });
    expect(owner.statusCode).toBe(200);
    expect(owner.json().secret).toEqual(expect.any(String));
  });

  it('an enrolment left pending cannot be confirmed once it expired', async () => {
    const userId = await f.register('stale-mfa@example.com');
    const session = await f.login('stale-mfa@example.com');
    const secret = (await f.post('/v1/me/mfa/totp', session.accessToken, { password: PASSWORD })).json()
      .secret;
    await (await users()).updateOne(
      { _id: userId },
      { $set: { 'totpPending.createdAt': new Date(Date.now() - ENROLMENT_TTL_MS - 1_000) } },
    );
    const late = await f.post('/v1/me/mfa/totp/confirm', session.accessToken, {
      code: await currentTotp(secret, Date.now() / 1000 - 30),
    });
    expect(late.statusCode).toBe(409);
    expect((await (await users()).findOne({ _id: userId }))?.totp).toBeUndefined();
  });
});

describe("an admin's changes end the user's sessions", () => {
  it("a demoted admin's access and refresh tokens no longer open admin routes", async () => {
    await f.register('chief@example.com', ['admin']);
    const demotedId = await f.register('deputy@example.com', ['admin']);
    const chief = await f.login('chief@example.com');
    const deputy = await f.login('deputy@example.com');
    expect(
      (await f.app.inject({ url: '/v1/admin/users', headers: bearer(deputy.accessToken) })).statusCode,
    ).toBe(200);
    const demoted = await f.app.inject({
      method: 'PATCH',
      url: `/v1/admin/users/${demotedId}`,
      headers: bearer(chief.accessToken),
      payload: { roles: ['member'] },
    });
    expect(demoted.statusCode).toBe(200);
    expect(await refusedWithin(deputy.accessToken, '/v1/admin/users')).toBe(401);
    expect((await refresh(deputy.refreshToken)).statusCode).toBe(401);
    // Signing in again gives a token with the new roles only.
    const again = await f.login('deputy@example.com');
    expect(
      (await f.app.inject({ url: '/v1/admin/users', headers: bearer(again.accessToken) })).statusCode,
    ).toBe(403);
    // The admin who made the change keeps their session; the same roles again revoke nothing.
    const same = await f.app.inject({
      method: 'PATCH',
      url: `/v1/admin/users/${demotedId}`,
      headers: bearer(chief.accessToken),
      payload: { roles: ['member'] },
    });
    expect(same.statusCode).toBe(200);
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(again.accessToken) })).statusCode).toBe(200);
  });

  it("a suspended user's access and refresh tokens are refused at once", async () => {
    await f.register('boss@example.com', ['admin']);
    const suspendedId = await f.register('leaver@example.com');
    const boss = await f.login('boss@example.com');
    const leaver = await f.login('leaver@example.com');
    const suspended = await f.app.inject({
      method: 'PATCH',
      url: `/v1/admin/users/${suspendedId}`,
      headers: bearer(boss.accessToken),
      payload: { status: 'suspended' },
    });
    expect(suspended.statusCode).toBe(200);
    expect(await refusedWithin(leaver.accessToken, '/v1/me')).toBe(401);
    expect((await refresh(leaver.refreshToken)).statusCode).toBe(401);
  });
});

describe('recovery codes', () => {
  it('a leaked recovery-code hash cannot be reversed by searching the code space', async () => {
    await f.register('codes@example.com');
    const session = await f.login('codes@example.com');
    const secret = (await f.post('/v1/me/mfa/totp', session.accessToken, { password: PASSWORD })).json()
      .secret;
    const confirmed = await f.post('/v1/me/mfa/totp/confirm', session.accessToken, {
      code: await currentTotp(secret, Date.now() / 1000 - 30),
    });
    const codes = confirmed.json().recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    for (const code of codes) {
      // Twenty base32 characters: 100 bits, where the old 50 bits took about a GPU-day to search.
      expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}-[a-z2-7]{5}-[a-z2-7]{5}$/);
    }
    const bits = codes[0]?.replaceAll('-', '').length ?? 0;
    expect(bits * 5).toBeGreaterThanOrEqual(100);
    expect(new Set(codes).size).toBe(codes.length);
    // And a code is still accepted (once) at login.
    const challenge = (
      await f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/login`,
        payload: { email: 'codes@example.com', password: PASSWORD },
      })
    ).json().challenge;
    const used = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login/mfa`,
      payload: { challenge, recoveryCode: codes[0] },
    });
    expect(used.statusCode).toBe(200);
  });
});
