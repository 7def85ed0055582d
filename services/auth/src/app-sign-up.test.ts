// Open sign-up without user enumeration, on the real stack: an address with an account and a new
// one get the same answer after the same work; only what is sealed for the address differs, and
// the account exists once the link's token comes back.
import {
  type EventEnvelope,
  SIGN_UP_DELIVERY_PURPOSE,
  SignUpAccountExists,
  type SignUpDelivery,
  SignUpVerificationRequested,
} from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { phcHeader } from './domain/password-hasher.ts';
import type { SignUpDocument, TenantCollections } from './store/tenant-store.ts';
import { type AuthFixture, bearer, openAuthFixture, PASSWORD } from './testing/auth-fixture.ts';

const NEW_PASSWORD = 'a brand new passphrase 42';

let f: AuthFixture;
let c: TenantCollections;
beforeAll(async () => {
  f = await openAuthFixture();
  c = await f.components.store.forTenant(f.tenant);
  await f.register('opener@example.com', ['admin']);
  const admin = await f.login('opener@example.com');
  const opened = await f.app.inject({
    method: 'PUT',
    url: '/v1/admin/settings',
    headers: bearer(admin.accessToken),
    payload: { openSignUp: true },
  });
  expect(opened.statusCode).toBe(200);
});
afterAll(async () => {
  await f?.close();
});

const signUp = (email: string, password = NEW_PASSWORD, displayName = 'Someone') =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/sign-up`,
    payload: { email, password, displayName },
  });

const verify = (token: string) =>
  f.app.inject({ method: 'POST', url: `/v1/tenants/${f.tenant}/sign-up/verify`, payload: { token } });

/** The sign-up documents made for an address, oldest first. */
async function signUpsFor(emailKey: string): Promise<SignUpDocument[]> {
  return c.signUps.find({ emailKey }).sort({ createdAt: 1 }).toArray();
}

/** What a notifier would do: open the event's sealed delivery with the tenant's keyring key. */
async function openDelivery(event: EventEnvelope): Promise<SignUpDelivery> {
  const payload = event.payload as { signUpId: string; sealedDelivery: string };
  const plaintext = await f.keyring.decrypt(
    f.tenant,
    SIGN_UP_DELIVERY_PURPOSE,
    Buffer.from(payload.sealedDelivery, 'base64'),
    { aad: Buffer.from(payload.signUpId) },
  );
  return JSON.parse(plaintext.toString()) as SignUpDelivery;
}

function outboxOf(document: SignUpDocument): EventEnvelope[] {
  return (document as unknown as { _outbox: EventEnvelope[] })._outbox;
}

describe('open sign-up', () => {
  it('answers an address that has an account exactly as a new one, after the same argon2id work, and changes nothing about the account', async () => {
    await f.register('taken@example.com');
    const suspendedId = await f.register('suspended@example.com');
    await c.users.updateOne({ _id: suspendedId }, { $set: { status: 'suspended' } });
    const hashes = vi.spyOn(f.components.hasher, 'hash');
    try {
      const fresh = await signUp('fresh@example.com');
      const taken = await signUp('Taken@Example.com');
      const suspended = await signUp('suspended@example.com');
      for (const response of [fresh, taken, suspended]) {
        expect(response.statusCode).toBe(202);
        expect(response.headers['content-type']).toBe(fresh.headers['content-type']);
        expect(response.body).toBe(fresh.body);
      }
      expect(fresh.json()).toMatchObject({
        status: 'verification-pending',
        expiresIn: f.policy.signUpLinkTtlSeconds,
      });
      // One hash per request, whichever the branch.
      expect(hashes).toHaveBeenCalledTimes(3);
    } finally {
      hashes.mockRestore();
    }
    // Nothing happened to the existing account: its password is still the old one.
    await expect(f.login('taken@example.com')).resolves.toHaveProperty('accessToken');
    await expect(f.login('taken@example.com', NEW_PASSWORD)).rejects.toThrow(/401/);
    expect(await c.users.findOne({ emailKey: 'fresh@example.com' })).toBeNull();
  });

  it('asks the notifier for a link (new address) or a notice (existing one), with the address and token sealed, never in the clear', async () => {
    const [pending] = await signUpsFor('fresh@example.com');
    const [notice] = await signUpsFor('taken@example.com');
    if (!pending || !notice) throw new Error('sign-up documents missing');
    expect(pending).toMatchObject({ kind: 'verification', email: 'fresh@example.com' });
    const header = phcHeader(f.components.hasher.parameters);
    expect(pending.passwordHash?.slice(0, header.length)).toBe(header);
    expect(notice).toMatchObject({ kind: 'account-exists' });
    expect(notice).not.toHaveProperty('passwordHash');
    expect(notice).not.toHaveProperty('tokenHash');

    const [request] = outboxOf(pending);
    const [existing] = outboxOf(notice);
    if (!request || !existing) throw new Error('outbox events missing');
    expect(request.type).toBe(SignUpVerificationRequested.type);
    expect(existing.type).toBe(SignUpAccountExists.type);
    const link = await openDelivery(request);
    expect(link).toMatchObject({ email: 'fresh@example.com', displayName: 'Someone' });
    expect(link.token?.startsWith(`${pending._id}.`)).toBe(true);
    expect(await openDelivery(existing)).toEqual({ email: 'Taken@Example.com' });
    // Neither the token nor an address is readable in what the outbox would publish.
    const published = JSON.stringify([request, existing]);
    for (const secret of [
      link.token as string,
      'fresh@example.com',
      'taken@example.com',
      'Taken@Example.com',
    ]) {
      expect(published).not.toContain(secret);
    }
    // The stored document keeps only the token's hash.
    expect(JSON.stringify(pending)).not.toContain(link.token as string);
    // A delivery is bound to its own sign-up: it does not open as another's.
    const other = { ...request, payload: { ...(request.payload as object), signUpId: notice._id } };
    await expect(openDelivery(other)).rejects.toThrow();
  });

  it('creates the member when the link comes back, once; a forged, reused or expired link is refused alike', async () => {
    const [pending] = await signUpsFor('fresh@example.com');
    const [request] = outboxOf(pending as SignUpDocument);
    const { token } = await openDelivery(request as EventEnvelope);
    if (!token) throw new Error('no token in the delivery');

    const forged = await verify(`${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`);
    expect(forged.statusCode).toBe(400);
    expect(forged.json().type).toBe('https://parley.dev/problems/invalid-sign-up-token');

    const created = await verify(token);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: pending?._id,
      email: 'fresh@example.com',
      displayName: 'Someone',
      roles: ['member'],
      status: 'active',
    });
    await expect(f.login('fresh@example.com', NEW_PASSWORD)).resolves.toHaveProperty('accessToken');

    const reused = await verify(token);
    expect(reused.statusCode).toBe(400);
    expect(reused.json().type).toBe('https://parley.dev/problems/invalid-sign-up-token');

    // Now the address has an account: a new sign-up for it gets the same answer and a notice.
    const again = await signUp('fresh@example.com');
    expect(again.statusCode).toBe(202);
    const kinds = (await signUpsFor('fresh@example.com')).map((s) => s.kind);
    expect(kinds).toEqual(['account-exists']);

    await signUp('late@example.com');
    const [late] = await signUpsFor('late@example.com');
    const lateToken = (await openDelivery(outboxOf(late as SignUpDocument)[0] as EventEnvelope)).token;
    await c.signUps.updateOne({ _id: late?._id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await verify(lateToken as string);
    expect(expired.statusCode).toBe(400);
    expect(expired.json().type).toBe('https://parley.dev/problems/invalid-sign-up-token');
    expect(await c.users.findOne({ emailKey: 'late@example.com' })).toBeNull();
  });

  it('refuses a weak password the same way for every address, and every route when sign-up is closed', async () => {
    const weakNew = await signUp('newcomer@example.com', 'short');
    const weakTaken = await signUp('taken@example.com', 'short');
    expect(weakNew.statusCode).toBe(400);
    expect(weakTaken.statusCode).toBe(400);
    expect(weakTaken.json()).toEqual(weakNew.json());

    await signUp('closing@example.com');
    const [pending] = await signUpsFor('closing@example.com');
    const { token } = await openDelivery(outboxOf(pending as SignUpDocument)[0] as EventEnvelope);
    await c.settings.updateOne({ _id: 'auth' }, { $set: { openSignUp: false } });
    try {
      expect((await signUp('another@example.com')).statusCode).toBe(403);
      const closed = await verify(token as string);
      expect(closed.statusCode).toBe(403);
      expect(closed.json().type).toBe('https://parley.dev/problems/sign-up-closed');
    } finally {
      await c.settings.updateOne({ _id: 'auth' }, { $set: { openSignUp: true } });
    }
  });

  it("is forgotten with the person: erasure removes the sign-up requests for the person's address", async () => {
    const userId = await f.register('erased@example.com', ['member'], PASSWORD);
    await signUp('erased@example.com');
    expect(await signUpsFor('erased@example.com')).toHaveLength(1);
    await f.components.personalData.erase(c, userId, { type: 'system', id: 'test' }, 'gdpr-erasure');
    expect(await signUpsFor('erased@example.com')).toHaveLength(0);
  });

  it("is in the person's GDPR export: a pending registration (by its future user id) and notices to an account's address, without hashes", async () => {
    const userId = await f.register('exported@example.com');
    expect((await signUp('Exported@example.com')).statusCode).toBe(202);
    const account = await f.components.personalData.export(c, userId);
    expect(account.signUps).toEqual([
      {
        kind: 'account-exists',
        email: 'exported@example.com',
        displayName: null,
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
      },
    ]);

    expect((await signUp('pending@example.com', NEW_PASSWORD, 'Pending Person')).statusCode).toBe(202);
    const [pending] = await signUpsFor('pending@example.com');
    if (!pending) throw new Error('no pending registration');
    const exported = await f.components.personalData.export(c, pending._id);
    expect(exported.account).toBeNull();
    expect(exported.signUps).toEqual([
      {
        kind: 'verification',
        email: 'pending@example.com',
        displayName: 'Pending Person',
        createdAt: pending.createdAt.toISOString(),
        expiresAt: pending.expiresAt.toISOString(),
      },
    ]);
    const text = JSON.stringify(exported);
    expect(text).not.toContain(pending.passwordHash as string);
    expect(text).not.toContain(pending.tokenHash as string);
  });
});
