// What an erasure leaves behind must not lead back to the person, on the real stack: audit
// records of failed logins and lockouts carry nothing derived from the address in the clear (an
// unsalted SHA-256 of it used to be in their metadata), and deliveries to the person (sign-up
// links, account-exists notices, invitations) are sealed under keys the erasure shreds, so the
// copies the notifications topic keeps for 7 days become unreadable.
import {
  AUDIT_PII_PURPOSE,
  type EventEnvelope,
  INVITATION_DELIVERY_PURPOSE,
  SIGN_UP_DELIVERY_PURPOSE,
} from '@parley/contracts';
import { subjectKeyName } from '@parley/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountPseudonyms } from './domain/account-pseudonyms.ts';
import { accountKey } from './domain/brute-force-guard.ts';
import type { TenantCollections } from './store/tenant-store.ts';
import { type AuthFixture, openAuthFixture, SERVICE_TOKEN } from './testing/auth-fixture.ts';

let f: AuthFixture;
let c: TenantCollections;
beforeAll(async () => {
  f = await openAuthFixture({
    lockout: {
      accountThreshold: 3,
      addressThreshold: 50,
      baseSeconds: 30,
      maxSeconds: 60,
      windowSeconds: 60,
    },
  });
  c = await f.components.store.forTenant(f.tenant);
  await c.settings.updateOne(
    { _id: 'auth' },
    { $set: { openSignUp: true, updatedAt: new Date() } },
    { upsert: true },
  );
});
afterAll(async () => {
  await f?.close();
});

/** Erasure as the GDPR protocol runs it: auth's part, then compliance crypto-shreds the person's key. */
async function erase(userId: string): Promise<void> {
  await f.components.personalData.erase(c, userId, { type: 'system', id: 'test' }, 'gdpr-erasure');
  await f.keyring.scheduleDestruction(f.tenant, subjectKeyName(userId), { waitingDays: 7 });
}

type AuditEvent = EventEnvelope<{
  action: string;
  actor: { type: string; id: string };
  resource: { id?: string };
  metadata?: Record<string, unknown>;
  personal?: { subject: string; keyName: string; ciphertext: string }[];
}>;

async function securityEventsWhere(match: (e: AuditEvent) => boolean): Promise<AuditEvent[]> {
  const documents = await c.securityEvents.find({}).toArray();
  return documents.flatMap((d) => (d as unknown as { _outbox?: AuditEvent[] })._outbox ?? []).filter(match);
}

const login = (email: string, password: string) =>
  f.app.inject({
    method: 'POST',
    url: `/v1/tenants/${f.tenant}/login`,
    payload: { email, password },
    remoteAddress: '198.51.100.77',
  });

const open = (purpose: string, sealed: string, boundTo: string) =>
  f.keyring.decrypt(f.tenant, purpose, Buffer.from(sealed, 'base64'), { aad: Buffer.from(boundTo) });

describe('audit records after an erasure', () => {
  it('after erasure the audit metadata of failed logins and lockouts no longer links to the e-mail', async () => {
    const email = 'linked@example.com';
    const userId = await f.register(email);
    for (let i = 0; i < 3; i++) expect((await login(email, `wrong-${i}`)).statusCode).toBe(401);
    const records = await securityEventsWhere(
      (e) =>
        ['auth.security.login-failed', 'auth.security.account-locked'].includes(e.payload.action) &&
        e.payload.resource.id === userId,
    );
    expect(records.map((e) => e.payload.action).sort()).toEqual([
      'auth.security.account-locked',
      'auth.security.login-failed',
      'auth.security.login-failed',
      'auth.security.login-failed',
    ]);
    // The shredded-key check below runs per sealed entry: there must be some for it to check.
    expect(records.flatMap((r) => r.payload.personal ?? []).length).toBeGreaterThan(0);
    await erase(userId);
    const unsalted = accountKey(email);
    const keyed = await new AccountPseudonyms(f.keyring).of(c, email);
    for (const record of records) {
      const { personal, ...clear } = record.payload;
      const text = JSON.stringify(clear);
      // Nothing in the clear is the address or computable from it: no unsalted hash, no pseudonym.
      expect(text).not.toContain(unsalted);
      expect(text).not.toContain(keyed);
      expect(text).not.toContain(email);
      expect(record.payload.metadata).not.toHaveProperty('account');
      // The sealed part was sealed under the person's key, which the erasure shredded.
      for (const entry of personal ?? []) {
        expect(entry.keyName).toBe(subjectKeyName(userId));
        await expect(
          f.keyring.decrypt(f.tenant, AUDIT_PII_PURPOSE, Buffer.from(entry.ciphertext, 'base64')),
        ).rejects.toThrow();
      }
    }
  });

  it('an audit reader cannot test an address against failed logins of addresses without an account', async () => {
    const email = 'ghost@example.com';
    expect((await login(email, 'wrong')).statusCode).toBe(401);
    const [record] = await securityEventsWhere(
      (e) => e.payload.action === 'auth.security.login-failed' && e.payload.actor.type === 'anonymous',
    );
    const pseudonym = record?.payload.metadata?.account as string;
    // Not the unsalted hash anyone could compute from a guessed address...
    expect(pseudonym).toMatch(/^[0-9a-f]{32}$/);
    expect(pseudonym).not.toBe(accountKey(email));
    expect(JSON.stringify(record?.payload)).not.toContain(accountKey(email));
    // ...but a keyed one that only the tenant's sealed secret computes.
    expect(pseudonym).toBe(await new AccountPseudonyms(f.keyring).of(c, email));
    expect(record?.payload.actor.id).toBe(`account.${pseudonym}`);
    // Shredding the key that seals the secret makes the pseudonyms unlinkable for good.
    await f.keyring.scheduleDestruction(f.tenant, subjectKeyName('unknown-accounts'), { waitingDays: 7 });
    await expect(new AccountPseudonyms(f.keyring).of(c, email)).rejects.toThrow();
  });
});

describe('deliveries after an erasure', () => {
  const signUp = (email: string) =>
    f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up`,
      payload: { email, password: 'a brand new passphrase 42', displayName: 'Newbie' },
    });

  async function deliveryOf(emailKey: string, type: string) {
    const [document] = await c.signUps.find({ emailKey }).sort({ createdAt: -1 }).limit(1).toArray();
    const event = (document as unknown as { _outbox: EventEnvelope[] })._outbox.find((e) => e.type === type);
    return event?.payload as { signUpId: string; sealedDelivery: string };
  }

  it("a sign-up link kept on the notifications topic cannot be opened after the person's erasure", async () => {
    expect((await signUp('newbie@example.com')).statusCode).toBe(202);
    const link = await deliveryOf('newbie@example.com', 'auth.sign-up.verification-requested.v1');
    const { token } = JSON.parse(
      (await open(SIGN_UP_DELIVERY_PURPOSE, link.sealedDelivery, link.signUpId)).toString(),
    );
    const verified = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/sign-up/verify`,
      payload: { token },
    });
    expect(verified.statusCode).toBe(201);
    expect(verified.json().id).toBe(link.signUpId);
    await erase(link.signUpId);
    await expect(open(SIGN_UP_DELIVERY_PURPOSE, link.sealedDelivery, link.signUpId)).rejects.toThrow();
  });

  it("an account-exists notice cannot be opened after the account holder's erasure", async () => {
    const userId = await f.register('holder@example.com');
    expect((await signUp('holder@example.com')).statusCode).toBe(202);
    const notice = await deliveryOf('holder@example.com', 'auth.sign-up.account-exists.v1');
    expect(
      JSON.parse((await open(SIGN_UP_DELIVERY_PURPOSE, notice.sealedDelivery, notice.signUpId)).toString()),
    ).toMatchObject({
      email: 'holder@example.com',
    });
    await erase(userId);
    await expect(open(SIGN_UP_DELIVERY_PURPOSE, notice.sealedDelivery, notice.signUpId)).rejects.toThrow();
  });

  it("an invitation kept on the notifications topic cannot be opened after the invitee's erasure", async () => {
    const invited = await f.app.inject({
      method: 'POST',
      url: `/v1/internal/tenants/${f.tenant}/invitations`,
      headers: { 'x-service-token': SERVICE_TOKEN },
      payload: { email: 'invitee@example.com', roles: ['member'] },
    });
    expect(invited.statusCode).toBe(201);
    const invitation = await c.invitations.findOne({ emailKey: 'invitee@example.com' });
    const request = (invitation as unknown as { _outbox: EventEnvelope[] })._outbox.find(
      (e) => e.type === 'auth.invitation.delivery-requested.v1',
    )?.payload as { invitationId: string; sealedDelivery: string };
    expect(
      JSON.parse(
        (await open(INVITATION_DELIVERY_PURPOSE, request.sealedDelivery, request.invitationId)).toString(),
      ),
    ).toMatchObject({ email: 'invitee@example.com' });
    const accepted = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/invitations/accept`,
      payload: { token: invited.json().token, password: 'a brand new passphrase 42', displayName: 'Invitee' },
    });
    expect(accepted.statusCode).toBe(201);
    await erase(accepted.json().id);
    await expect(
      open(INVITATION_DELIVERY_PURPOSE, request.sealedDelivery, request.invitationId),
    ).rejects.toThrow();
  });
});
