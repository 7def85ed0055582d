// TOTP enrolment, login step-up, recovery codes and turning MFA off, on the real stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from './domain/totp.ts';
import { type AuthFixture, bearer, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

const EMAIL = 'grace@example.com';
const passwordLogin = () =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/login`,
    payload: { email: EMAIL, password: PASSWORD },
  });
const secondStep = (challenge: string, body: object) =>
  f.app.inject({ method: 'POST', url: `/v1/tenants/${f.tenant}/login/mfa`, payload: { challenge, ...body } });

describe('TOTP MFA', () => {
  let secret: string;
  let recoveryCodes: string[];
  let session: Record<string, unknown>;

  it('enrols: a pending secret with an otpauth URI, confirmed by a first code, answered with ten recovery codes', async () => {
    await f.register(EMAIL);
    session = await f.login(EMAIL);
    const enrol = await f.post('/v1/me/mfa/totp', session.accessToken, { password: PASSWORD });
    expect(enrol.statusCode).toBe(200);
    secret = enrol.json().secret;
    expect(enrol.json().otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    // Not enabled before confirmation: login still needs only the password.
    expect((await passwordLogin()).json()).toHaveProperty('accessToken');
    const wrong = await f.post('/v1/me/mfa/totp/confirm', session.accessToken, { code: '000000' });
    expect(wrong.statusCode).toBe(400);
    const confirmed = await f.post('/v1/me/mfa/totp/confirm', session.accessToken, {
      code: await currentTotp(secret, Date.now() / 1000 - 30),
    });
    expect(confirmed.statusCode).toBe(200);
    recoveryCodes = confirmed.json().recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const me = await f.app.inject({ url: '/v1/me', headers: bearer(session.accessToken) });
    expect(me.json().mfaEnabled).toBe(true);
    // Secrets and codes are not stored in clear.
    const stored = await (await f.components.store.forTenant(f.tenant)).users.findOne({ emailKey: EMAIL });
    expect(JSON.stringify(stored)).not.toContain(secret);
    for (const code of recoveryCodes) expect(JSON.stringify(stored)).not.toContain(code);
  });

  it('steps up at login: password, then a challenge answered with a code', async () => {
    const first = await passwordLogin();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery-code'] });
    expect(first.json()).not.toHaveProperty('accessToken');
    const done = await secondStep(first.json().challenge, { code: await currentTotp(secret) });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toHaveProperty('refreshToken');
    // The challenge was single-use.
    const again = await secondStep(first.json().challenge, { code: await currentTotp(secret) });
    expect(again.statusCode).toBe(401);
  });

  it('accepts each recovery code once', async () => {
    const code = recoveryCodes[0] as string;
    const ok = await secondStep((await passwordLogin()).json().challenge, { recoveryCode: code });
    expect(ok.statusCode).toBe(200);
    const reused = await secondStep((await passwordLogin()).json().challenge, { recoveryCode: code });
    expect(reused.statusCode).toBe(401);
  });

  it('regenerates recovery codes only after re-authentication; old codes die', async () => {
    const refused = await f.post('/v1/me/mfa/recovery-codes', session.accessToken, {
      password: 'wrong-password',
      recoveryCode: recoveryCodes[1],
    });
    expect(refused.statusCode).toBe(401);
    const fresh = await f.post('/v1/me/mfa/recovery-codes', session.accessToken, {
      password: PASSWORD,
      recoveryCode: recoveryCodes[1],
    });
    expect(fresh.statusCode).toBe(200);
    const next = fresh.json().recoveryCodes as string[];
    const old = await secondStep((await passwordLogin()).json().challenge, {
      recoveryCode: recoveryCodes[2],
    });
    expect(old.statusCode).toBe(401);
    recoveryCodes = next;
  });

  it('turns off only with the password and a second factor', async () => {
    const noFactor = await f.post('/v1/me/mfa/totp/disable', session.accessToken, { password: PASSWORD });
    expect(noFactor.statusCode).toBe(400);
    const wrongPassword = await f.post('/v1/me/mfa/totp/disable', session.accessToken, {
      password: 'not-my-password',
      recoveryCode: recoveryCodes[0],
    });
    expect(wrongPassword.statusCode).toBe(401);
    const off = await f.post('/v1/me/mfa/totp/disable', session.accessToken, {
      password: PASSWORD,
      recoveryCode: recoveryCodes[0],
    });
    expect(off.statusCode).toBe(204);
    expect((await passwordLogin()).json()).toHaveProperty('accessToken');
  });
});
