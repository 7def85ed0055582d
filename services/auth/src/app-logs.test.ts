// Nothing secret reaches a log line: passwords, tokens, TOTP secrets and codes, recovery codes,
// through a whole session of use, with the service logging at debug level.
import { SIGN_UP_DELIVERY_PURPOSE } from '@parley/contracts';
import { createCapturingLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from './domain/totp.ts';
import { type AuthFixture, bearer, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

const capture = createCapturingLogger('auth');
let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture({}, { logger: capture.logger });
});
afterAll(async () => {
  await f?.close();
});

describe('logs', () => {
  it('never contain a password, a token, a TOTP secret or a code', async () => {
    const secrets: string[] = [PASSWORD, 'a-wrong-password-attempt'];
    await f.register('quinn@example.com');
    await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'quinn@example.com', password: 'a-wrong-password-attempt' },
    });
    const tokens = await f.login('quinn@example.com');
    secrets.push(String(tokens.accessToken), String(tokens.refreshToken).split('.')[1] as string);
    const refreshed = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/token`,
      payload: { refreshToken: tokens.refreshToken },
    });
    secrets.push(String(refreshed.json().refreshToken).split('.')[1] as string);
    const enrol = await f.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp',
      headers: bearer(tokens.accessToken),
      payload: { password: PASSWORD },
    });
    const code = await currentTotp(enrol.json().secret);
    secrets.push(enrol.json().secret, code);
    const confirmed = await f.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp/confirm',
      headers: bearer(tokens.accessToken),
      payload: { code },
    });
    secrets.push(...(confirmed.json().recoveryCodes as string[]));
    await f.app.inject({ method: 'GET', url: '/v1/me', headers: bearer('forged.token.value') });

    // Open sign-up: the link's token (read back as a notifier would) and the new password.
    const c = await f.components.store.forTenant(f.tenant);
    await c.settings.updateOne({ _id: 'auth' }, { $set: { openSignUp: true } }, { upsert: true });
    const signUpPassword = 'sign-up passphrase never logged';
    secrets.push(signUpPassword);
    await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up`,
      payload: { email: 'rory@example.com', password: signUpPassword, displayName: 'Rory' },
    });
    const pending = await c.signUps.findOne({ emailKey: 'rory@example.com' });
    const [request] = (pending as unknown as { _outbox: { payload: { sealedDelivery: string } }[] })._outbox;
    const delivery = await f.keyring.decrypt(
      f.tenant,
      SIGN_UP_DELIVERY_PURPOSE,
      Buffer.from(request?.payload.sealedDelivery ?? '', 'base64'),
      { aad: Buffer.from(pending?._id ?? '') },
    );
    const { token } = JSON.parse(delivery.toString()) as { token: string };
    secrets.push(token, token.split('.')[1] as string);
    const verified = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up/verify`,
      payload: { token },
    });
    expect(verified.statusCode).toBe(201);

    const lines = capture.lines();
    expect(lines.length).toBeGreaterThan(10);
    const text = JSON.stringify(lines);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
