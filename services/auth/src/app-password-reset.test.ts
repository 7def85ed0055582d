// Password reset on the real stack (Mongo-wire, Redis): the same answer for every address, a
// sealed single-use link only for an account's, a new password that ends every session, audited,
// and capped per address and per source alike for addresses with and without an account.
import {
  type EventEnvelope,
  PASSWORD_RESET_DELIVERY_PURPOSE,
  type PasswordResetDelivery,
  PasswordResetRequested,
} from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PasswordResetDocument, TenantCollections } from './store/tenant-store.ts';
import { type AuthFixture, bearer, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

const NEW_PASSWORD = 'a brand new passphrase 42';

let f: AuthFixture;
let c: TenantCollections;
beforeAll(async () => {
  f = await openAuthFixture({
    passwordResetLimits: {
      accountThreshold: 3,
      addressThreshold: 6,
      baseSeconds: 30,
      maxSeconds: 60,
      windowSeconds: 600,
    },
  });
  c = await f.components.store.forTenant(f.tenant);
});
afterAll(async () => {
  await f?.close();
});

let nextHost = 1;
const requestReset = (email: string, ip = `203.0.113.${nextHost++}`) =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/password-reset`,
    payload: { email },
    remoteAddress: ip,
  });
const confirm = (token: string, password = NEW_PASSWORD) =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/password-reset/confirm`,
    payload: { token, password },
  });

const outboxOf = (d: PasswordResetDocument) => (d as unknown as { _outbox?: EventEnvelope[] })._outbox ?? [];

/** The newest reset document (the request just made) and, for an account's, its link opened as the notifier does. */
async function latestReset(_for: string) {
  const [document] = await c.passwordResets.find({}).sort({ createdAt: -1 }).limit(1).toArray();
  if (!document) throw new Error(`no reset for ${_for}`);
  const request = outboxOf(document).find((e) => e.type === PasswordResetRequested.type);
  if (!request) return { document, request };
  const payload = request.payload as { resetId: string; sealedDelivery: string };
  const plaintext = await f.keyring.decrypt(
    f.tenant,
    PASSWORD_RESET_DELIVERY_PURPOSE,
    Buffer.from(payload.sealedDelivery, 'base64'),
    { aad: Buffer.from(payload.resetId) },
  );
  return { document, request, delivery: JSON.parse(plaintext.toString()) as PasswordResetDelivery };
}

describe('password reset', () => {
  it('answers an unknown address exactly as an account, and asks for a mail only for the account', async () => {
    await f.register('known@example.com');
    const known = await requestReset('Known@Example.com');
    const account = await latestReset('known@example.com');
    const unknown = await requestReset('nobody@example.com');
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
    expect(unknown.headers['content-type']).toBe(known.headers['content-type']);
    expect(known.json()).toMatchObject({ status: 'reset-requested', expiresIn: 3600 });

    expect(account.delivery).toMatchObject({ email: 'known@example.com', displayName: 'known' });
    expect(account.delivery?.token.startsWith(`${account.document._id}.`)).toBe(true);
    // Stored only hashed; the outbox holds the token sealed, never in the clear.
    expect(JSON.stringify(account.document)).not.toContain(account.delivery?.token.split('.')[1]);
    expect(JSON.stringify(account.document)).not.toContain('known@example.com');

    const stranger = await latestReset('nobody@example.com');
    expect(stranger.document.kind).toBe('no-account');
    expect(stranger.request).toBeUndefined();
    // Both are audited (the unknown one as a failure), neither naming the address in the clear.
    for (const d of [account.document, stranger.document]) {
      const audit = outboxOf(d).find(
        (e) => (e.payload as { action?: string }).action === 'auth.security.password-reset-requested',
      );
      expect(audit).toBeDefined();
      expect(JSON.stringify(audit)).not.toMatch(/known@example\.com|nobody@example\.com/i);
    }
  });

  it('sets the new password once, ends every session, and audits it', async () => {
    await f.register('reset@example.com');
    const first = await f.login('reset@example.com');
    const second = await f.login('reset@example.com');
    await requestReset('reset@example.com');
    const reset = await latestReset('reset@example.com');
    const { delivery } = reset;
    if (!delivery) throw new Error('no delivery');

    // A password the policy refuses leaves the link usable.
    const weak = await confirm(delivery.token, 'short');
    expect(weak.statusCode).toBe(400);
    const done = await confirm(delivery.token);
    expect(done.statusCode).toBe(204);

    // Once only.
    const again = await confirm(delivery.token, 'yet another passphrase 99');
    expect(again.statusCode).toBe(400);
    expect(again.json().type).toBe('https://parley.dev/problems/invalid-password-reset-token');

    // Every old session is gone: access tokens refused, refresh tokens refused.
    for (const session of [first, second]) {
      const me = await f.app.inject({ url: '/v1/me', headers: bearer(session.accessToken) });
      expect(me.statusCode).toBe(401);
      const refreshed = await f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/token`,
        payload: { refreshToken: session.refreshToken },
      });
      expect(refreshed.statusCode).toBe(401);
    }
    await expect(f.login('reset@example.com', PASSWORD)).rejects.toThrow(/401/);
    await expect(f.login('reset@example.com', NEW_PASSWORD)).resolves.toHaveProperty('accessToken');

    const user = await c.users.findOne({ emailKey: 'reset@example.com' });
    const audit = outboxOf(user as never).find(
      (e) => (e.payload as { action?: string }).action === 'auth.security.password-reset',
    );
    expect(audit?.payload).toMatchObject({ outcome: 'success', actor: { type: 'user', id: user?._id } });
    // The link is spent: its document is gone, and its delivery's key is shredded, so the copy
    // of the token on the notifications topic no longer opens.
    expect(await c.passwordResets.countDocuments({ _id: reset.document._id })).toBe(0);
    if (!reset.request) throw new Error('no delivery request');
    const sealed = (reset.request.payload as { sealedDelivery: string }).sealedDelivery;
    await expect(
      f.keyring.decrypt(f.tenant, PASSWORD_RESET_DELIVERY_PURPOSE, Buffer.from(sealed, 'base64'), {
        aad: Buffer.from(reset.document._id),
      }),
    ).rejects.toThrow();
  });

  it('refuses an expired link, a forged one, and a link whose account was suspended', async () => {
    const userId = await f.register('late@example.com');
    await requestReset('late@example.com');
    const expired = await latestReset('late@example.com');
    await c.passwordResets.updateOne(
      { _id: expired.document._id },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    expect((await confirm(expired.delivery?.token as string)).statusCode).toBe(400);

    expect((await confirm(`${expired.document._id}.not-the-token`)).statusCode).toBe(400);
    expect((await confirm('garbage')).statusCode).toBe(400);

    await requestReset('late@example.com');
    const live = await latestReset('late@example.com');
    await c.users.updateOne({ _id: userId }, { $set: { status: 'suspended' } });
    expect((await confirm(live.delivery?.token as string)).statusCode).toBe(400);
  });

  it('caps requests per address alike for accounts and strangers, and per source', async () => {
    await f.register('capped@example.com');
    const known = [];
    const stranger = [];
    for (let i = 0; i < 4; i++) {
      known.push((await requestReset('capped@example.com')).statusCode);
      stranger.push((await requestReset('stranger@example.com')).statusCode);
    }
    expect(known).toEqual([202, 202, 202, 429]);
    expect(stranger).toEqual([202, 202, 202, 429]);

    const fromOneNetwork = [];
    for (let i = 0; i < 7; i++)
      fromOneNetwork.push((await requestReset(`spray${i}@example.com`, '192.0.2.77')).statusCode);
    expect(fromOneNetwork).toEqual([202, 202, 202, 202, 202, 202, 429]);
  });

  it('under required single sign-on mails links only to break-glass admins, and refuses older links unspent', async () => {
    const adminId = await f.register('glass@example.com', ['member', 'admin']);
    await f.register('sso-only@example.com');
    await requestReset('sso-only@example.com');
    const earlier = (await latestReset('sso-only@example.com')).delivery;
    if (!earlier) throw new Error('no delivery before single sign-on was required');
    // The policy as the settings route writes it (oidc-providers.ts; that route needs a reachable
    // issuer, and is tested with one in tests/integration/sso-oidc.test.ts).
    await c.ssoProviders.insertOne({
      _id: 'oidc',
      issuer: 'https://idp.example.com',
      clientId: 'parley',
      sealedClientSecret: '',
      redirectUris: [],
      allowedEmailDomains: [],
      requireSso: true,
      breakGlassUserIds: [adminId],
      updatedAt: new Date(),
    });
    try {
      const member = await requestReset('sso-only@example.com');
      const refused = await latestReset('sso-only@example.com');
      const stranger = await requestReset('nobody-here@example.com');
      // The same answer as an unknown address, and nothing to mail.
      expect(member.statusCode).toBe(202);
      expect(member.body).toBe(stranger.body);
      expect(refused.request).toBeUndefined();
      expect(refused.document.kind).toBe('no-account');
      expect(outboxOf(refused.document).map((e) => e.payload)).toEqual([
        expect.objectContaining({
          action: 'auth.security.password-reset-requested',
          outcome: 'failure',
          metadata: expect.objectContaining({ reason: 'sso-required' }),
        }),
      ]);
      // A link from before: refused, and not spent.
      const older = await confirm(earlier.token);
      expect(older.statusCode).toBe(403);
      expect(older.json().type).toBe('https://parley.dev/problems/sso-required');
      // The break-glass admin still resets a forgotten password.
      await requestReset('glass@example.com');
      const glass = (await latestReset('glass@example.com')).delivery;
      if (!glass) throw new Error('no delivery for the break-glass admin');
      expect((await confirm(glass.token)).statusCode).toBe(204);
    } finally {
      await c.ssoProviders.deleteOne({ _id: 'oidc' });
    }
    // Single sign-on no longer required: the older link still works, once.
    expect((await confirm(earlier.token)).statusCode).toBe(204);
  });
});
