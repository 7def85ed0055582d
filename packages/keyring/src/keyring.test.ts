/** The keyring against the real Mongo-wire server (FerretDB locally): every verb and its refusals. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DecryptionFailedError,
  InvalidKeyRequestError,
  KeyDestroyedError,
  KeyPendingDestructionError,
  KeyStateConflictError,
  KeyVersionRetiredError,
  MasterKeyMismatchError,
  UnknownKeyError,
  UnknownKeyVersionError,
} from './errors.ts';
import { subjectKeyName } from './key-names.ts';
import { KEYS_COLLECTION } from './key-store.ts';
import { type KeyringFixture, openKeyringFixture } from './testing/keyring-fixture.ts';

let fx: KeyringFixture;
beforeAll(async () => {
  fx = await openKeyringFixture();
});
afterAll(async () => {
  await fx?.close();
});

const text = (s: string) => Buffer.from(s, 'utf8');

describe('keyring: keys', () => {
  it('ensureTenantKey creates version 1 once and is idempotent, even from two keyrings at once', async () => {
    const tenant = fx.uniqueTenant();
    const [a, b] = await Promise.all([
      fx.keyring().ensureTenantKey(tenant),
      fx.keyring().ensureTenantKey(tenant),
    ]);
    expect(a.primaryVersion).toBe(1);
    expect(b.primaryVersion).toBe(1);
    expect(a.versions.map((v) => v.version)).toEqual([1]);
    const stored = await fx.db.collection(KEYS_COLLECTION).countDocuments({ tenant, record: 'version' });
    expect(stored).toBe(1);
  });

  it('stores only wrapped key material', async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    const doc = await fx.db.collection(KEYS_COLLECTION).findOne({ tenant, record: 'version' });
    const wrapped = Buffer.from(doc?.wrappedKey, 'base64');
    expect(wrapped.length).toBe(12 + 32 + 16);
    expect(doc?.masterKeyId).toBe('test-1');
  });

  it('refuses to use a key that was never created', async () => {
    const tenant = fx.uniqueTenant();
    await expect(fx.keyring().encrypt(tenant, 'messages.body', text('x'))).rejects.toBeInstanceOf(
      UnknownKeyError,
    );
  });
});

describe('keyring: encrypt and decrypt', () => {
  it('round-trips, with and without caller AAD', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const sealed = await keyring.encrypt(tenant, 'messages.body', text('hello'));
    expect(await keyring.decrypt(tenant, 'messages.body', sealed)).toEqual(text('hello'));
    const bound = await keyring.encrypt(tenant, 'messages.body', text('bound'), {
      aad: text('conversation-7'),
    });
    expect(await keyring.decrypt(tenant, 'messages.body', bound, { aad: text('conversation-7') })).toEqual(
      text('bound'),
    );
    await expect(
      keyring.decrypt(tenant, 'messages.body', bound, { aad: text('conversation-8') }),
    ).rejects.toBeInstanceOf(DecryptionFailedError);
    await expect(keyring.decrypt(tenant, 'messages.body', bound)).rejects.toBeInstanceOf(
      DecryptionFailedError,
    );
  });

  it('refuses a ciphertext moved to another tenant or another purpose', async () => {
    const keyring = fx.keyring();
    const alice = fx.uniqueTenant('alice');
    const bob = fx.uniqueTenant('bob');
    await keyring.ensureTenantKey(alice);
    await keyring.ensureTenantKey(bob);
    const sealed = await keyring.encrypt(alice, 'messages.body', text('secret'));
    await expect(keyring.decrypt(bob, 'messages.body', sealed)).rejects.toBeInstanceOf(DecryptionFailedError);
    await expect(keyring.decrypt(alice, 'audit.pii', sealed)).rejects.toBeInstanceOf(DecryptionFailedError);
    const wrapped = (await keyring.generateDataKey(alice, 'messages.body')).wrapped;
    await expect(keyring.decryptDataKey(bob, 'messages.body', wrapped)).rejects.toBeInstanceOf(
      DecryptionFailedError,
    );
    await expect(keyring.decryptDataKey(alice, 'media.object', wrapped)).rejects.toBeInstanceOf(
      DecryptionFailedError,
    );
  });

  it('refuses every single-bit change, a truncation and garbage, never returning bytes', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const sealed = await keyring.encrypt(tenant, 'messages.body', text('do not tamper'));
    const headerLength = 3 + 'default'.length + 4;
    for (let i = headerLength; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      await expect(keyring.decrypt(tenant, 'messages.body', tampered)).rejects.toBeInstanceOf(
        DecryptionFailedError,
      );
    }
    await expect(
      keyring.decrypt(tenant, 'messages.body', sealed.subarray(0, sealed.length - 1)),
    ).rejects.toBeInstanceOf(DecryptionFailedError);
    await expect(keyring.decrypt(tenant, 'messages.body', randomBytes(64))).rejects.toBeInstanceOf(
      DecryptionFailedError,
    );
    await expect(keyring.decrypt(tenant, 'messages.body', Buffer.alloc(0))).rejects.toBeInstanceOf(
      DecryptionFailedError,
    );
  });

  it('answers a version the key never had with UnknownKeyVersionError', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const sealed = await keyring.encrypt(tenant, 'messages.body', text('v1'));
    const forged = Buffer.from(sealed);
    forged.writeUInt32BE(9, 3 + 'default'.length);
    await expect(keyring.decrypt(tenant, 'messages.body', forged)).rejects.toBeInstanceOf(
      UnknownKeyVersionError,
    );
  });

  it('data keys: the wrapped key decrypts to the same 32 bytes', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const dataKey = await keyring.generateDataKey(tenant, 'messages.body');
    expect(dataKey.plaintext.length).toBe(32);
    expect(dataKey.keyVersion).toBe(1);
    expect(await keyring.decryptDataKey(tenant, 'messages.body', dataKey.wrapped)).toEqual(dataKey.plaintext);
  });
});

describe('keyring: rotation, rewrap and the minimum version', () => {
  it('after a rotation old data still decrypts and new data uses the new version', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const old = await keyring.encrypt(tenant, 'messages.body', text('old'));
    const oldDataKey = await keyring.generateDataKey(tenant, 'messages.body');
    const { version, rotated } = await keyring.rotate(tenant, 'default');
    expect({ version, rotated }).toEqual({ version: 2, rotated: true });
    const fresh = await keyring.encrypt(tenant, 'messages.body', text('new'));
    expect(fresh.readUInt32BE(3 + 'default'.length)).toBe(2);
    expect(await keyring.decrypt(tenant, 'messages.body', old)).toEqual(text('old'));
    expect(await keyring.decrypt(tenant, 'messages.body', fresh)).toEqual(text('new'));
    expect(await keyring.decryptDataKey(tenant, 'messages.body', oldDataKey.wrapped)).toEqual(
      oldDataKey.plaintext,
    );
    expect((await keyring.generateDataKey(tenant, 'messages.body')).keyVersion).toBe(2);
  });

  it('rotates once per request key, even when keyrings on separate connections race on it', async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    const slot = 'schedule:2026-11-28T00:00Z';
    const racers = await fx.separateKeyrings(4);
    const results = await Promise.all(racers.map((k) => k.rotate(tenant, 'default', { requestKey: slot })));
    expect(results.map((r) => r.version)).toEqual([2, 2, 2, 2]);
    expect(results.filter((r) => r.rotated)).toHaveLength(1);
    expect((await fx.keyring().listVersions(tenant)).versions.map((v) => v.version)).toEqual([1, 2]);
    const next = await fx.keyring().rotate(tenant, 'default', { requestKey: 'schedule:2026-12-28T00:00Z' });
    expect(next.version).toBe(3);
  });

  it('racing rotations with different request keys each get their own version, and every one decrypts', async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    const racers = await fx.separateKeyrings(4);
    const results = await Promise.all(
      racers.map((k, i) => k.rotate(tenant, 'default', { requestKey: `slot-${i}` })),
    );
    expect(results.map((r) => r.version).sort()).toEqual([2, 3, 4, 5]);
    const reader = fx.keyring();
    const sealed = await reader.encrypt(tenant, 'p', text('latest'));
    expect(sealed.readUInt32BE(3 + 'default'.length)).toBe(5);
    for (const racer of racers) expect(await racer.decrypt(tenant, 'p', sealed)).toEqual(text('latest'));
  });

  it('racing raises of the minimum settle on the highest, never lower', async () => {
    const tenant = fx.uniqueTenant();
    const keyring = fx.keyring();
    await keyring.ensureTenantKey(tenant);
    for (const slot of ['a', 'b', 'c']) await keyring.rotate(tenant, 'default', { requestKey: slot });
    const racers = await fx.separateKeyrings(3);
    const outcomes = await Promise.allSettled(
      racers.map((k, i) => k.setMinDecryptionVersion(tenant, 'default', 4 - i)),
    );
    // A raise that arrives after a higher one is refused as a lowering; none may take effect as one.
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(InvalidKeyRequestError);
    }
    expect((await keyring.listVersions(tenant)).minDecryptionVersion).toBe(4);
  });

  it('a rotation made by another process is seen after invalidate (the event) without waiting for the TTL', async () => {
    const tenant = fx.uniqueTenant();
    const reader = fx.keyring({ cacheTtlMs: 600_000 });
    await reader.ensureTenantKey(tenant);
    expect((await reader.generateDataKey(tenant, 'messages.body')).keyVersion).toBe(1);
    await fx.keyring().rotate(tenant, 'default');
    expect((await reader.generateDataKey(tenant, 'messages.body')).keyVersion).toBe(1); // cached
    reader.invalidate(tenant, 'default');
    expect((await reader.generateDataKey(tenant, 'messages.body')).keyVersion).toBe(2);
  });

  it('rewraps ciphertexts and wrapped data keys to the newest version without changing their plaintext', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const sealed = await keyring.encrypt(tenant, 'messages.body', text('payload'), { aad: text('m-1') });
    const dataKey = await keyring.generateDataKey(tenant, 'messages.body');
    await keyring.rotate(tenant, 'default');
    const rewrapped = await keyring.rewrap(tenant, 'messages.body', sealed, { aad: text('m-1') });
    expect(rewrapped).toMatchObject({ keyVersion: 2, rewrapped: true });
    expect(
      await keyring.decrypt(tenant, 'messages.body', rewrapped.ciphertext, { aad: text('m-1') }),
    ).toEqual(text('payload'));
    const rewrappedKey = await keyring.rewrap(tenant, 'messages.body', dataKey.wrapped);
    expect(rewrappedKey.keyVersion).toBe(2);
    expect(await keyring.decryptDataKey(tenant, 'messages.body', rewrappedKey.ciphertext)).toEqual(
      dataKey.plaintext,
    );
    const again = await keyring.rewrap(tenant, 'messages.body', rewrappedKey.ciphertext);
    expect(again.rewrapped).toBe(false);
    await expect(keyring.rewrap(tenant, 'audit.pii', dataKey.wrapped)).rejects.toBeInstanceOf(
      DecryptionFailedError,
    );
  });

  it('the minimum decryption version only rises, and retires older versions', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const v1 = await keyring.encrypt(tenant, 'messages.body', text('v1'));
    await keyring.rotate(tenant, 'default');
    await expect(keyring.setMinDecryptionVersion(tenant, 'default', 3)).rejects.toBeInstanceOf(
      InvalidKeyRequestError,
    );
    const raised = await keyring.setMinDecryptionVersion(tenant, 'default', 2);
    expect(raised.minDecryptionVersion).toBe(2);
    await expect(keyring.decrypt(tenant, 'messages.body', v1)).rejects.toBeInstanceOf(KeyVersionRetiredError);
    await expect(keyring.setMinDecryptionVersion(tenant, 'default', 1)).rejects.toBeInstanceOf(
      InvalidKeyRequestError,
    );
    expect((await keyring.setMinDecryptionVersion(tenant, 'default', 2)).minDecryptionVersion).toBe(2);
    expect((await keyring.listVersions(tenant)).minDecryptionVersion).toBe(2);
  });

  it('rotates by itself when a version reaches its usage ceiling', async () => {
    const keyring = fx.keyring({ usageCeiling: 4, usageBlockSize: 2 });
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const versions: number[] = [];
    for (let i = 0; i < 6; i++)
      versions.push((await keyring.generateDataKey(tenant, 'messages.body')).keyVersion);
    expect(versions).toEqual([1, 1, 1, 1, 2, 2]);
    const meta = await keyring.listVersions(tenant);
    expect(meta.primaryVersion).toBe(2);
    expect(meta.versions[0]?.usage).toBeGreaterThanOrEqual(4);
  });

  it('racing processes never spend more than the ceiling on a version, and rotate past it', async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    const options = { usageCeiling: 8, usageBlockSize: 2 };
    const keyrings = await fx.separateKeyrings(4, options);
    const issued = await Promise.all(
      keyrings.map(async (k) => {
        const versions: number[] = [];
        for (let i = 0; i < 6; i++) versions.push((await k.generateDataKey(tenant, 'p')).keyVersion);
        return versions;
      }),
    );
    const perVersion = new Map<number, number>();
    for (const v of issued.flat()) perVersion.set(v, (perVersion.get(v) ?? 0) + 1);
    for (const uses of perVersion.values()) expect(uses).toBeLessThanOrEqual(8);
    const blocks = await fx.db
      .collection(KEYS_COLLECTION)
      .aggregate([{ $match: { tenant, record: 'usage' } }, { $group: { _id: '$version', n: { $sum: 1 } } }])
      .toArray();
    for (const { n } of blocks) expect(n).toBeLessThanOrEqual(4);
    expect(Math.max(...perVersion.keys())).toBeGreaterThanOrEqual(3); // 24 uses at 8 per version
  });

  it('a process holding another master key under the same id gets a clear mismatch error', async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    const sealed = await fx.keyring().encrypt(tenant, 'p', text('x'));
    const { MasterKeyring } = await import('./master-keyring.ts');
    const impostor = fx.keyring({
      masterKeys: MasterKeyring.fromKeys([{ id: 'test-1', key: randomBytes(32) }]),
    });
    await expect(impostor.decrypt(tenant, 'p', sealed)).rejects.toBeInstanceOf(MasterKeyMismatchError);
  });

  it('master key rotation: rewraps tenant keys under the new master key, then the old one can go', async () => {
    const tenant = fx.uniqueTenant();
    const before = fx.keyring();
    await before.ensureTenantKey(tenant);
    const sealed = await before.encrypt(tenant, 'messages.body', text('survives'));
    const { MasterKeyring } = await import('./master-keyring.ts');
    const oldKey = fx.masterKeys.get('test-1') as Buffer;
    const newKey = randomBytes(32);
    const both = MasterKeyring.fromKeys([
      { id: 'test-1', key: oldKey },
      { id: 'test-2', key: newKey },
    ]);
    expect(both.primaryId).toBe('test-2');
    expect(await fx.keyring({ masterKeys: both }).rewrapUnderPrimaryMasterKey()).toBeGreaterThanOrEqual(1);
    const onlyNew = fx.keyring({ masterKeys: MasterKeyring.fromKeys([{ id: 'test-2', key: newKey }]) });
    expect(await onlyNew.decrypt(tenant, 'messages.body', sealed)).toEqual(text('survives'));
  });
});

describe('keyring: crypto-shredding', () => {
  it("a destroyed subject key makes that person's data unreadable for good; others are untouched", async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    const ada = subjectKeyName('u-ada');
    await keyring.ensureTenantKey(tenant);
    await keyring.ensureTenantKey(tenant, ada);
    const adasEmail = await keyring.encrypt(tenant, 'audit.pii', text('ada@example.com'), { keyName: ada });
    const tenantData = await keyring.encrypt(tenant, 'messages.body', text('hello'));
    const now = new Date('2026-11-28T12:00:00Z');
    const pending = await keyring.scheduleDestruction(tenant, ada, { waitingDays: 7, now });
    expect(pending.state).toBe('pending-destruction');
    expect(pending.destroyAt?.toISOString()).toBe('2026-12-05T12:00:00.000Z');
    await expect(keyring.decrypt(tenant, 'audit.pii', adasEmail)).rejects.toBeInstanceOf(
      KeyPendingDestructionError,
    );
    expect(await keyring.destroyDueKeys(new Date('2026-12-05T11:59:59Z'))).toEqual([]);
    const destroyed = await keyring.destroyDueKeys(new Date('2026-12-05T12:00:00Z'));
    expect(destroyed.map((k) => k.keyName)).toContain(ada);
    await expect(keyring.decrypt(tenant, 'audit.pii', adasEmail)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(fx.keyring().decrypt(tenant, 'audit.pii', adasEmail)).rejects.toBeInstanceOf(
      KeyDestroyedError,
    );
    await expect(keyring.cancelDestruction(tenant, ada)).rejects.toBeInstanceOf(KeyDestroyedError);
    const material = await fx.db
      .collection(KEYS_COLLECTION)
      .countDocuments({ tenant, keyName: ada, record: 'version' });
    expect(material).toBe(0);
    expect((await keyring.listVersions(tenant, ada)).versions).toEqual([
      expect.objectContaining({ version: 1, available: false }),
    ]);
    expect((await keyring.ensureTenantKey(tenant, ada)).state).toBe('destroyed');
    expect(await keyring.decrypt(tenant, 'messages.body', tenantData)).toEqual(text('hello'));
  });

  it('material a racing rotation adds after the destruction is never used and is swept away', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const now = new Date();
    await keyring.scheduleDestruction(tenant, 'default', { waitingDays: 7, now });
    const later = new Date(now.getTime() + 7 * 86_400_000);
    await keyring.destroyDueKeys(later);
    // What a rotation that read the key just before its destruction would have written:
    await fx.db.collection(KEYS_COLLECTION).insertOne({
      _id: `${tenant}/default/v2` as never,
      record: 'version',
      tenant,
      keyName: 'default',
      slot: 'rotate:late',
      version: 2,
      masterKeyId: 'test-1',
      wrappedKey: 'AAAA',
      createdAt: later,
    });
    await expect(fx.keyring().encrypt(tenant, 'p', text('x'))).rejects.toBeInstanceOf(KeyDestroyedError);
    await keyring.destroyDueKeys(new Date(later.getTime() + 60_000));
    expect(await fx.db.collection(KEYS_COLLECTION).countDocuments({ tenant, record: 'version' })).toBe(0);
  });

  it('the waiting period can be cancelled, and the key works again', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    const sealed = await keyring.encrypt(tenant, 'messages.body', text('kept'));
    await keyring.scheduleDestruction(tenant, 'default', { waitingDays: 30 });
    await expect(keyring.encrypt(tenant, 'messages.body', text('x'))).rejects.toBeInstanceOf(
      KeyPendingDestructionError,
    );
    const cancelled = await keyring.cancelDestruction(tenant, 'default');
    expect(cancelled.state).toBe('enabled');
    expect(cancelled.destroyAt).toBeUndefined();
    expect(await keyring.destroyDueKeys(new Date(Date.now() + 31 * 86_400_000))).toEqual([]);
    expect(await keyring.decrypt(tenant, 'messages.body', sealed)).toEqual(text('kept'));
    await expect(keyring.cancelDestruction(tenant, 'default')).rejects.toBeInstanceOf(KeyStateConflictError);
  });

  it('racing schedules and cancels leave one linear history, and the state is its last entry', async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    const racers = await fx.separateKeyrings(4);
    await Promise.allSettled(
      racers.map((k, i) =>
        i % 2 === 0
          ? k.scheduleDestruction(tenant, 'default', { waitingDays: 7 })
          : k.cancelDestruction(tenant, 'default'),
      ),
    );
    const history = await fx.db
      .collection(KEYS_COLLECTION)
      .find({ tenant, record: 'lifecycle' })
      .sort({ seq: 1 })
      .toArray();
    expect(history.map((r) => r.seq)).toEqual(history.map((_, i) => i + 1));
    // Someone wins the first write, and from enabled only a schedule can be it: the loop checks something.
    expect(history[0]?.action).toBe('schedule');
    // Each entry is a legal step from the one before: schedule only from enabled, cancel only from pending.
    let state = 'enabled';
    for (const entry of history) {
      expect(entry.action === 'schedule' ? state === 'enabled' : state === 'pending').toBe(true);
      state = entry.action === 'schedule' ? 'pending' : 'enabled';
    }
    const expected = state === 'pending' ? 'pending-destruction' : 'enabled';
    expect((await fx.keyring().listVersions(tenant)).state).toBe(expected);
  });

  it('refuses a waiting period outside 7..30 days', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    for (const waitingDays of [6, 31, 7.5]) {
      await expect(keyring.scheduleDestruction(tenant, 'default', { waitingDays })).rejects.toBeInstanceOf(
        InvalidKeyRequestError,
      );
    }
  });

  it('writes each change with its event in the same document (outbox)', async () => {
    const keyring = fx.keyring();
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    await keyring.rotate(tenant, 'default');
    const doc = await fx.db.collection(KEYS_COLLECTION).findOne({ tenant, record: 'version', version: 2 });
    expect(doc?._outboxPending).toBe(true);
    expect(doc?._outbox).toHaveLength(1);
    expect(doc?._outbox[0]).toMatchObject({
      type: 'crypto.key.rotated.v1',
      tenant,
      payload: { keyName: 'default', previousVersion: 1, newVersion: 2, reason: 'requested' },
    });
  });
});
