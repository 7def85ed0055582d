// GDPR export and erasure of auth's data, and user deletion under legal holds, on the real stack
// (Mongo-wire, Redis): what an export holds (and never: secrets), what an erasure leaves (nothing
// readable), and holds on the person or the tenant refusing deletion until they are lifted.
import { InvitationDeliveryRequested } from '@parley/contracts';
import { LegalHoldStore } from '@parley/retention';
import { mongoDatabaseName } from '@parley/tenancy';
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

/** Every document of the tenant's database, as one string to search for leftovers. */
async function everythingStored(): Promise<string> {
  const db = f.mongo.client.db(mongoDatabaseName(f.tenant));
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  const docs = await Promise.all(names.map((name) => db.collection(name).find({}).toArray()));
  return JSON.stringify(docs);
}

const agentOf = (email: string) => `ErasureTestBrowser/1.0 (${email.split('@')[0]})`;

/** A member with TOTP enrolled, recovery codes, and two sessions (one with a user agent). */
async function enrolledMember(email: string) {
  const userId = await f.register(email);
  const first = await f.login(email);
  const enrol = await f.post('/v1/me/mfa/totp', first.accessToken, { password: PASSWORD });
  const secret = enrol.json().secret as string;
  const confirmed = await f.post('/v1/me/mfa/totp/confirm', first.accessToken, {
    code: await currentTotp(secret, Date.now() / 1000 - 30),
  });
  expect(confirmed.statusCode).toBe(200);
  const step = await f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/login`,
    payload: { email, password: PASSWORD },
    headers: { 'user-agent': agentOf(email) },
  });
  const second = await f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/login/mfa`,
    payload: { challenge: step.json().challenge, code: await currentTotp(secret) },
    headers: { 'user-agent': agentOf(email) },
  });
  expect(second.statusCode).toBe(200);
  return {
    userId,
    secret,
    recoveryCodes: confirmed.json().recoveryCodes as string[],
    first,
    second: second.json(),
  };
}

async function adminToken(email: string): Promise<string> {
  await f.register(email, ['admin']);
  return String((await f.login(email)).accessToken);
}

describe('GDPR export of auth data', () => {
  it('holds the profile, roles, status, sessions and MFA state, and no secret', async () => {
    const m = await enrolledMember('ada@example.com');
    const c = await f.components.store.forTenant(f.tenant);
    const exported = await f.components.personalData.export(c, m.userId);
    expect(exported.account).toMatchObject({
      id: m.userId,
      email: 'ada@example.com',
      displayName: 'ada',
      roles: ['member'],
      status: 'active',
    });
    expect(exported.mfa).toMatchObject({ totpEnrolled: true, recoveryCodesRemaining: 10 });
    expect(exported.sessions.map((s) => s.id).sort()).toEqual([m.first.sessionId, m.second.sessionId].sort());
    expect(exported.sessions.find((s) => s.id === m.second.sessionId)).toMatchObject({
      userAgent: agentOf('ada@example.com'),
      amr: expect.arrayContaining(['pwd', 'otp']),
      revokedAt: null,
    });
    expect(exported.invitations).toEqual([expect.objectContaining({ email: 'ada@example.com' })]);
    const user = await c.users.findOne({ _id: m.userId });
    const sessions = await c.sessions.find({ userId: m.userId }).toArray();
    const text = JSON.stringify(exported);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(String(user?.passwordHash));
    expect(text).not.toContain(String(user?.totp?.sealedSecret));
    expect(text).not.toContain(m.secret);
    for (const hash of user?.recoveryCodeHashes ?? []) expect(text).not.toContain(hash);
    for (const code of m.recoveryCodes) expect(text).not.toContain(code);
    for (const s of sessions) for (const hash of s.refresh.current) expect(text).not.toContain(hash);
    expect(text).not.toContain(String(m.second.refreshToken).split('.')[1]);
  });
});

describe('erasure and user deletion', () => {
  it('erasure leaves nothing readable about the person in auth’s store, and their tokens stop working', async () => {
    const m = await enrolledMember('erin@example.com');
    const c = await f.components.store.forTenant(f.tenant);
    const result = await f.components.personalData.erase(
      c,
      m.userId,
      { type: 'service', id: 'compliance' },
      'gdpr-erasure',
    );
    expect(result.counts).toMatchObject({ users: 1, sessionsRevoked: 2, sessionsRemoved: 2 });

    const stored = await everythingStored();
    for (const leftover of ['erin@example.com', agentOf('erin@example.com'), m.secret, ...m.recoveryCodes])
      expect(stored).not.toContain(leftover);
    const user = await c.users.findOne({ _id: m.userId });
    expect(user).toMatchObject({
      status: 'deleted',
      email: '',
      displayName: '',
      roles: [],
      passwordHash: '',
    });
    expect(user?.totp).toBeUndefined();
    expect(user?.recoveryCodeHashes).toBeUndefined();
    expect(await c.sessions.countDocuments({ userId: m.userId })).toBe(0);
    expect(await c.invitations.countDocuments({ emailKey: 'erin@example.com' })).toBe(0);
    // The invitation's audit record, still unpublished, was kept; its delivery request was not
    // (the erasure cancels writing to the person).
    const moved = JSON.stringify(await c.securityEvents.find({ action: 'outbox-moved' }).toArray());
    expect(moved).toContain('auth.security.user-invited');
    expect(moved).not.toContain(InvitationDeliveryRequested.type);

    // Refused everywhere: login, refresh, and the access token (revocation pushed to auth-clients).
    const login = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'erin@example.com', password: PASSWORD },
    });
    expect(login.statusCode).toBe(401);
    const refresh = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/token`,
      payload: { refreshToken: m.second.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
    const deadline = Date.now() + 5000;
    let me = await f.app.inject({ url: '/v1/me', headers: bearer(m.second.accessToken) });
    while (me.statusCode === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      me = await f.app.inject({ url: '/v1/me', headers: bearer(m.second.accessToken) });
    }
    expect(me.statusCode).toBe(401);

    // Idempotent: a redelivered request erases nothing more and does not fail.
    const again = await f.components.personalData.erase(
      c,
      m.userId,
      { type: 'service', id: 'compliance' },
      'gdpr-erasure',
    );
    expect(again.counts).toEqual({ users: 0, sessionsRevoked: 0, sessionsRemoved: 0, invitationsRemoved: 0 });
  });

  it('an admin’s deletion is refused (409 legal-hold, audited as denied) under a hold on the person or the tenant, and proceeds once lifted', async () => {
    const admin = await adminToken('boss@example.com');
    const userId = await f.register('hal@example.com');
    const holds = new LegalHoldStore(f.mongo.client, f.tenant);
    const personHold = await holds.place({
      scope: { kind: 'person', userId },
      reason: 'Case 2026-14',
      setBy: 'counsel@example.com',
    });
    const del = () =>
      f.app.inject({ method: 'DELETE', url: `/v1/admin/users/${userId}`, headers: bearer(admin) });

    const refused = await del();
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({
      type: 'https://parley.dev/problems/legal-hold',
      status: 409,
      holdIds: [personHold.id],
      exemption: expect.stringContaining('17(3)(e)'),
    });
    expect(refused.body).not.toContain('at ');
    // The account is untouched: the person still signs in.
    expect(await f.login('hal@example.com')).toHaveProperty('accessToken');
    const c = await f.components.store.forTenant(f.tenant);
    const denied = await c.securityEvents.find({ action: 'auth.security.user-deletion-denied' }).toArray();
    const deniedPayloads = denied.flatMap((d) => (d._outbox ?? []).map((e) => e.payload)) as {
      outcome: string;
      metadata: Record<string, unknown>;
    }[];
    expect(deniedPayloads).toContainEqual(
      expect.objectContaining({
        outcome: 'denied',
        metadata: expect.objectContaining({
          userId,
          reason: 'legal-exemption',
          via: 'admin-deletion',
          holdIds: [personHold.id],
        }),
      }),
    );

    // A tenant-wide hold covers everyone.
    await holds.lift(personHold.id, { liftedBy: 'counsel@example.com', reason: 'settled' });
    const tenantHold = await holds.place({
      scope: { kind: 'tenant' },
      reason: 'Regulator inquiry',
      setBy: 'counsel@example.com',
    });
    const refusedAgain = await del();
    expect(refusedAgain.statusCode).toBe(409);
    expect(refusedAgain.json().holdIds).toEqual([tenantHold.id]);

    // Lifted: the deletion goes through and the account is gone for good.
    await holds.lift(tenantHold.id, { liftedBy: 'counsel@example.com', reason: 'closed' });
    const deleted = await del();
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ deleted: true, counts: { users: 1 } });
    expect((await del()).statusCode).toBe(404);
    expect(await everythingStored()).not.toContain('hal@example.com');
    const users = await f.app.inject({ url: '/v1/admin/users', headers: bearer(admin) });
    expect(users.json().users.map((u: { id: string }) => u.id)).not.toContain(userId);
  });

  it('a member cannot delete users', async () => {
    const userId = await f.register('mo@example.com');
    const token = (await f.login('mo@example.com')).accessToken;
    const response = await f.app.inject({
      method: 'DELETE',
      url: `/v1/admin/users/${userId}`,
      headers: bearer(token),
    });
    expect(response.statusCode).toBe(403);
  });
});
