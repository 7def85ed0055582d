/**
 * The keyring's legal-hold checks against the real Mongo-wire server: a held key cannot be
 * scheduled for destruction, and a key held during its waiting period stays pending through the
 * sweep until the hold goes. The holds themselves come from a check function (the crypto service
 * wires @parley/retention's store in; services/crypto tests that wiring end to end).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestructionHold } from './destruction-holds.ts';
import { KeyDestroyedError, KeyUnderLegalHoldError } from './errors.ts';
import { subjectKeyName } from './key-names.ts';
import { type KeyringFixture, openKeyringFixture } from './testing/keyring-fixture.ts';

let fx: KeyringFixture;
beforeAll(async () => {
  fx = await openKeyringFixture();
});
afterAll(async () => {
  await fx?.close();
});

const DAY_MS = 86_400_000;

/** Holds by "tenant/keyName"; `unreadable` makes the check fail as an unreachable database would. */
function holdBook() {
  const held = new Map<string, DestructionHold[]>();
  const book = {
    unreadable: false,
    calls: 0,
    hold: (tenant: string, keyName: string, hold: DestructionHold) =>
      held.set(`${tenant}/${keyName}`, [hold]),
    lift: (tenant: string, keyName: string) => held.delete(`${tenant}/${keyName}`),
    check: async (tenant: string, keyName: string) => {
      book.calls++;
      if (book.unreadable) throw new Error('holds database unreachable');
      return held.get(`${tenant}/${keyName}`) ?? [];
    },
  };
  return book;
}

describe('keyring: legal holds on destruction', () => {
  it('refuses to schedule destruction of a held key, naming the holds; others and later are fine', async () => {
    const book = holdBook();
    const keyring = fx.keyring({ destructionHolds: book.check });
    const tenant = fx.uniqueTenant();
    const ada = subjectKeyName('ada');
    const bob = subjectKeyName('bob');
    await keyring.ensureTenantKey(tenant, ada);
    await keyring.ensureTenantKey(tenant, bob);
    book.hold(tenant, ada, { id: 'hold-1', reason: 'Case 2026-14' });

    const refusal = await keyring.scheduleDestruction(tenant, ada, { waitingDays: 7 }).catch((e) => e);
    expect(refusal).toBeInstanceOf(KeyUnderLegalHoldError);
    expect(refusal).toMatchObject({ code: 'legal-hold', httpStatus: 409 });
    expect(refusal.holds).toEqual([{ id: 'hold-1', reason: 'Case 2026-14' }]);
    expect(refusal.message).toMatch(/hold-1: Case 2026-14/);
    // Nothing was written: the key is still usable.
    expect((await keyring.listVersions(tenant, ada)).state).toBe('enabled');
    await keyring.encrypt(tenant, 'audit.pii', Buffer.from('still readable'), { keyName: ada });

    expect((await keyring.scheduleDestruction(tenant, bob, { waitingDays: 7 })).state).toBe(
      'pending-destruction',
    );
    book.lift(tenant, ada);
    expect((await keyring.scheduleDestruction(tenant, ada, { waitingDays: 7 })).state).toBe(
      'pending-destruction',
    );
  });

  it('a hold placed during the waiting period keeps the key pending through the sweep; lifted, the next sweep destroys it', async () => {
    const book = holdBook();
    const keyring = fx.keyring({ destructionHolds: book.check });
    const tenant = fx.uniqueTenant();
    const ada = subjectKeyName('ada');
    await keyring.ensureTenantKey(tenant, ada);
    const sealed = await keyring.encrypt(tenant, 'audit.pii', Buffer.from('evidence'), { keyName: ada });
    const now = new Date();
    await keyring.scheduleDestruction(tenant, ada, { waitingDays: 7, now });
    book.hold(tenant, ada, { id: 'hold-2', reason: 'Litigation' });

    const afterWaiting = new Date(now.getTime() + 8 * DAY_MS);
    const swept = await keyring.destroyDueKeys(afterWaiting);
    expect(swept.filter((k) => k.tenant === tenant)).toEqual([]);
    const pending = await keyring.listVersions(tenant, ada);
    expect(pending).toMatchObject({ state: 'pending-destruction', destroyAt: expect.any(Date) });
    expect(pending.versions.every((v) => v.available)).toBe(true);

    // The hold ends: the destruction that was asked for proceeds at the next sweep.
    book.lift(tenant, ada);
    const destroyed = await keyring.destroyDueKeys(new Date(afterWaiting.getTime() + 60_000));
    expect(destroyed.map((k) => `${k.tenant}/${k.keyName}`)).toContain(`${tenant}/${ada}`);
    await expect(keyring.decrypt(tenant, 'audit.pii', sealed)).rejects.toBeInstanceOf(KeyDestroyedError);
  });

  it('when the holds cannot be read, nothing is scheduled and nothing is destroyed', async () => {
    const book = holdBook();
    const keyring = fx.keyring({ destructionHolds: book.check });
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const now = new Date();
    await keyring.scheduleDestruction(tenant, 'default', { waitingDays: 7, now });

    book.unreadable = true;
    await expect(
      keyring.scheduleDestruction(fx.uniqueTenant(), 'default', { waitingDays: 7 }),
    ).rejects.toThrow(/unreachable/);
    const later = new Date(now.getTime() + 8 * DAY_MS);
    expect((await keyring.destroyDueKeys(later)).filter((k) => k.tenant === tenant)).toEqual([]);
    expect((await keyring.listVersions(tenant, 'default')).state).toBe('pending-destruction');

    book.unreadable = false;
    const destroyed = await keyring.destroyDueKeys(later);
    expect(destroyed.map((k) => k.tenant)).toContain(tenant);
  });
});
