// Register, login, refresh, logout, sessions, admin actions: through the real app over the real
// Mongo-wire server, Redis and (for the keyring and signing keys) the platform database.
import { markTenantRuntimeStatus, tenantRuntimeKey } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  bearer,
  openAuthFixture,
  PASSWORD,
  SERVICE_TOKEN,
} from './testing/auth-fixture.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('invitations from the operator', () => {
  it('need the service credential', async () => {
    const response = await f.app.inject({
      method: 'POST',
      url: `/v1/internal/tenants/${f.tenant}/invitations`,
      payload: { email: 'nobody@example.com', roles: ['admin'] },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('are idempotent per e-mail: a repeat reports the state without a token', async () => {
    const call = () =>
      f.app.inject({
        method: 'POST',
        url: `/v1/internal/tenants/${f.tenant}/invitations`,
        headers: { 'x-service-token': SERVICE_TOKEN },
        payload: { email: 'First.Admin@Example.com' },
      });
    const first = await call();
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      state: 'invited',
      email: 'first.admin@example.com',
      token: expect.any(String),
    });
    const second = await call();
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ state: 'pending', invitationId: first.json().invitationId });
    expect(second.json().token).toBeUndefined();
    const accepted = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/invitations/accept`,
      payload: { token: first.json().token, password: PASSWORD, displayName: 'First Admin' },
    });
    expect(accepted.statusCode).toBe(201);
    expect(accepted.json()).toMatchObject({ roles: ['admin'], status: 'active', mfaEnabled: false });
    expect((await call()).json()).toMatchObject({ state: 'accepted' });
    const reused = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/invitations/accept`,
      payload: { token: first.json().token, password: PASSWORD, displayName: 'Again' },
    });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().type).toBe('https://parley.dev/problems/invalid-invitation');
  });
});

describe('login, refresh and logout', () => {
  it('issues a verifiable access token with the documented claims and an opaque refresh token', async () => {
    const userId = await f.register('alice@example.com');
    const tokens = await f.login('alice@example.com');
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: f.policy.accessTokenTtlSeconds });
    const claims = await f.components.authClient.verifier.verify(tokens.accessToken as string);
    expect(claims).toMatchObject({
      sub: userId,
      tid: f.tenant,
      sid: tokens.sessionId,
      roles: ['member'],
      amr: ['pwd'],
    });
    expect(claims.iss).toBe(f.policy.issuer);
    expect(claims.aud).toBe(f.policy.audience);
    expect(claims.jti).toBeTruthy();
    const me = await f.app.inject({ url: '/v1/me', headers: bearer(tokens.accessToken) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: userId, email: 'alice@example.com' });
  });

  it('rotates the refresh token on every use', async () => {
    const first = await f.login('alice@example.com');
    const refresh = (token: unknown) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/token`,
        payload: { refreshToken: token },
      });
    const second = await refresh(first.refreshToken);
    expect(second.statusCode).toBe(200);
    expect(second.json().refreshToken).not.toBe(first.refreshToken);
    expect(second.json().sessionId).toBe(first.sessionId);
    const third = await refresh(second.json().refreshToken);
    expect(third.statusCode).toBe(200);
  });

  it('logout revokes the session: its access token and refresh token are refused', async () => {
    const tokens = await f.login('alice@example.com');
    const out = await f.app.inject({
      method: 'POST',
      url: '/v1/logout',
      headers: bearer(tokens.accessToken),
    });
    expect(out.statusCode).toBe(204);
    const me = await f.app.inject({ url: '/v1/me', headers: bearer(tokens.accessToken) });
    expect(me.statusCode).toBe(401);
    const refreshed = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/token`,
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(refreshed.statusCode).toBe(401);
  });

  it('gives an unknown user and a wrong password the same answer', async () => {
    const unknown = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'ghost@example.com', password: 'whatever-password' },
    });
    const wrong = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'alice@example.com', password: 'not-the-password' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined });
    expect(strip(unknown.json())).toEqual(strip(wrong.json()));
  });

  it('refuses bad input with problem details, never a stack trace', async () => {
    const response = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'not-an-email', password: '', extra: 1 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: 'https://parley.dev/problems/validation' });
    expect(response.body).not.toMatch(/at .*\.ts:\d+/);
    const badTenant = await f.app.inject({
      method: 'POST',
      url: '/v1/tenants/platform/login',
      payload: { email: 'a@example.com', password: 'x' },
    });
    expect(badTenant.statusCode).toBe(400);
  });
});

describe('sessions', () => {
  it('a user lists their sessions and revokes one; it is refused at once', async () => {
    await f.register('bob@example.com');
    const a = await f.login('bob@example.com');
    const b = await f.login('bob@example.com');
    const listed = await f.app.inject({ url: '/v1/me/sessions', headers: bearer(a.accessToken) });
    expect(listed.statusCode).toBe(200);
    const sessions = listed.json().sessions as { id: string; current: boolean }[];
    expect(sessions.map((s) => s.id)).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
    expect(sessions.find((s) => s.id === a.sessionId)?.current).toBe(true);
    const revoked = await f.app.inject({
      method: 'DELETE',
      url: `/v1/me/sessions/${b.sessionId}`,
      headers: bearer(a.accessToken),
    });
    expect(revoked.statusCode).toBe(204);
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(b.accessToken) })).statusCode).toBe(401);
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(a.accessToken) })).statusCode).toBe(200);
  });

  it("a user cannot revoke another user's session", async () => {
    const bob = await f.login('bob@example.com');
    const alice = await f.login('alice@example.com');
    const response = await f.app.inject({
      method: 'DELETE',
      url: `/v1/me/sessions/${alice.sessionId}`,
      headers: bearer(bob.accessToken),
    });
    expect(response.statusCode).toBe(404);
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(alice.accessToken) })).statusCode).toBe(200);
  });

  it("an admin revokes all of a user's sessions and suspends them; a suspended user cannot log in", async () => {
    await f.register('carol-admin@example.com', ['admin']);
    const admin = await f.login('carol-admin@example.com');
    const dave = await f.register('dave@example.com');
    const daveSession = await f.login('dave@example.com');
    const member = await f.app.inject({ url: '/v1/admin/users', headers: bearer(daveSession.accessToken) });
    expect(member.statusCode).toBe(403);
    const revoked = await f.app.inject({
      method: 'DELETE',
      url: `/v1/admin/users/${dave}/sessions`,
      headers: bearer(admin.accessToken),
    });
    expect(revoked.json()).toEqual({ revoked: 1 });
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(daveSession.accessToken) })).statusCode).toBe(
      401,
    );
    const suspended = await f.app.inject({
      method: 'PATCH',
      url: `/v1/admin/users/${dave}`,
      headers: bearer(admin.accessToken),
      payload: { status: 'suspended' },
    });
    expect(suspended.json()).toMatchObject({ status: 'suspended' });
    await expect(f.login('dave@example.com')).rejects.toThrow(/401/);
  });
});

describe('open sign-up', () => {
  it('is closed by default and opened by an admin', async () => {
    const body = { email: 'eve@example.com', password: PASSWORD, displayName: 'Eve' };
    const closed = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up`,
      payload: body,
    });
    expect(closed.statusCode).toBe(403);
    const admin = await f.login('carol-admin@example.com');
    await f.app.inject({
      method: 'PUT',
      url: '/v1/admin/settings',
      headers: bearer(admin.accessToken),
      payload: { openSignUp: true },
    });
    const open = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up`,
      payload: body,
    });
    // The same answer for every address; the account comes with the link (app-sign-up.test.ts).
    expect(open.statusCode).toBe(202);
    expect(open.json()).toMatchObject({ status: 'verification-pending' });
    const short = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up`,
      payload: { ...body, email: 'frank@example.com', password: 'short' },
    });
    expect(short.statusCode).toBe(400);
    const onTheEmail = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up`,
      payload: { ...body, email: 'frank@example.com', password: 'frank-is-my-name-2024' },
    });
    expect(onTheEmail.statusCode).toBe(400);
    expect(onTheEmail.json().type).toBe('https://parley.dev/problems/weak-password');
  });
});

describe('tenant state (the operator runtime record)', () => {
  it('refuses a suspended tenant, even with a valid token, and serves it again when resumed', async () => {
    await f.register('nina@example.com');
    const tokens = await f.login('nina@example.com');
    await markTenantRuntimeStatus(f.redis.client, f.tenant, 'Suspended');
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_100)); // the gate's cache
      const login = await f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/login`,
        payload: { email: 'nina@example.com', password: PASSWORD },
      });
      expect(login.statusCode).toBe(403);
      expect(login.json().type).toBe('https://parley.dev/problems/tenant-suspended');
      expect((await f.app.inject({ url: '/v1/me', headers: bearer(tokens.accessToken) })).statusCode).toBe(
        403,
      );
    } finally {
      await markTenantRuntimeStatus(f.redis.client, f.tenant, 'Ready');
    }
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(tokens.accessToken) })).statusCode).toBe(200);
  });

  it('answers 404 for a tenant that was never provisioned', async () => {
    const response = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}-none/login`,
      payload: { email: 'a@example.com', password: 'x' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().type).toBe('https://parley.dev/problems/unknown-tenant');
  });

  it('answers 503 while a tenant is still provisioning and 404 once it is deleted', async () => {
    const login = (tenant: string) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/login`,
        payload: { email: 'a@example.com', password: 'x' },
      });
    for (const [status, code, type] of [
      ['Provisioning', 503, 'tenant-provisioning'],
      ['Deleted', 404, 'unknown-tenant'],
    ] as const) {
      const tenant = `${f.tenant}-${status.toLowerCase()}`;
      await markTenantRuntimeStatus(f.redis.client, tenant, status);
      try {
        const response = await login(tenant);
        expect(response.statusCode).toBe(code);
        expect(response.json().type).toBe(`https://parley.dev/problems/${type}`);
      } finally {
        await f.redis.client.del(tenantRuntimeKey(tenant));
      }
    }
  });
});

describe('reissued invitations', () => {
  it('replace the token of a pending invitation; the old token stops working', async () => {
    const invite = (reissue?: boolean) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/internal/tenants/${f.tenant}/invitations`,
        headers: { 'x-service-token': SERVICE_TOKEN },
        payload: { email: 'olga@example.com', roles: ['member'], ...(reissue ? { reissue } : {}) },
      });
    const first = (await invite()).json();
    const second = await invite(true);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ state: 'invited', invitationId: first.invitationId });
    const accept = (token: string) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/tenants/${f.tenant}/invitations/accept`,
        payload: { token, password: PASSWORD, displayName: 'Olga' },
      });
    // Nothing published yet (no relay runs here): the reissue kept the first invitation's audit
    // record, and only the delivery request of the token that still works waits to go out.
    const c = await f.components.store.forTenant(f.tenant);
    const pending = (
      (await c.invitations.findOne({ _id: first.invitationId })) as {
        _outbox?: { type: string; payload: { action?: string } }[];
      }
    )._outbox;
    expect(pending?.map((event) => event.payload.action ?? event.type).sort()).toEqual([
      'auth.invitation.delivery-requested.v1',
      'auth.security.user-invited',
      'auth.security.user-invited',
    ]);
    expect((await accept(first.token)).statusCode).toBe(400);
    expect((await accept(second.json().token)).statusCode).toBe(201);
  });
});

describe('password change', () => {
  it('needs the current password, signs out the other sessions, keeps this one', async () => {
    await f.register('paul@example.com');
    const here = await f.login('paul@example.com');
    const elsewhere = await f.login('paul@example.com');
    const newPassword = 'a brand new long passphrase';
    const wrong = await f.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(here.accessToken),
      payload: { currentPassword: 'not-the-current-one', newPassword },
    });
    expect(wrong.statusCode).toBe(401);
    const changed = await f.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(here.accessToken),
      payload: { currentPassword: PASSWORD, newPassword },
    });
    expect(changed.statusCode).toBe(204);
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(elsewhere.accessToken) })).statusCode).toBe(
      401,
    );
    expect((await f.app.inject({ url: '/v1/me', headers: bearer(here.accessToken) })).statusCode).toBe(200);
    await expect(f.login('paul@example.com')).rejects.toThrow(/401/);
    expect(await f.login('paul@example.com', newPassword)).toHaveProperty('accessToken');
  });
});
