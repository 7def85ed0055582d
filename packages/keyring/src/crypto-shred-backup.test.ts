/**
 * Crypto-shredding against backups, on the real Mongo-wire server: a copy of a tenant's key
 * records taken before the shred, restored after it, must not decrypt anything, even with the
 * live master key, because the key's KEK (in a store apart from the records) is gone.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyDestroyedError } from './errors.ts';
import { KEK_COLLECTION, kekDatabaseName } from './key-encryption-keys.ts';
import { subjectKeyName } from './key-names.ts';
import { KEYS_COLLECTION, type VersionRecord, versionRecordId } from './key-store.ts';
import { CREATE_SLOT } from './keyring.ts';
import { KEK_WRAPPING, unwrapTenantKey, wrapUnderMasterKeyOnly } from './tenant-key-wrap.ts';
import { type KeyringFixture, openKeyringFixture } from './testing/keyring-fixture.ts';

let fx: KeyringFixture;
beforeAll(async () => {
  fx = await openKeyringFixture();
});
afterAll(async () => {
  await fx?.close();
});

const DAY_MS = 86_400_000;
const text = (s: string) => Buffer.from(s, 'utf8');
const keyRecords = () => fx.db.collection(KEYS_COLLECTION);

/** Schedules and sweeps the key's destruction (the waiting period passed). */
async function shred(tenant: string, keyName: string): Promise<void> {
  const keyring = fx.keyring();
  const now = new Date();
  await keyring.scheduleDestruction(tenant, keyName, { waitingDays: 7, now });
  const destroyed = await keyring.destroyDueKeys(new Date(now.getTime() + 7 * DAY_MS + 1));
  expect(destroyed.map((k) => k.keyName)).toContain(keyName);
}

/** Puts the key's records back exactly as copied: the key database as the backup had it. */
async function restore(tenant: string, keyName: string, copy: Record<string, unknown>[]): Promise<void> {
  await keyRecords().deleteMany({ tenant, keyName });
  await keyRecords().insertMany(copy.map((doc) => ({ ...doc })) as never[]);
}

describe('crypto-shredding and backups', () => {
  it('a database copy taken before the shred cannot decrypt after it', async () => {
    const tenant = fx.uniqueTenant();
    const keyName = subjectKeyName('u-erased');
    const before = fx.keyring({ cacheTtlMs: 0 });
    await before.ensureTenantKey(tenant, keyName);
    const sealedV1 = await before.encrypt(tenant, 'audit.pii', text('alice@example.com'), { keyName });
    await before.rotate(tenant, keyName);
    const sealedV2 = await before.encrypt(tenant, 'audit.pii', text('Alice Liddell'), { keyName });
    const dataKey = await before.generateDataKey(tenant, 'media.object', { keyName });
    // It works before the shred, from a keyring that read nothing yet.
    expect((await fx.keyring().decrypt(tenant, 'audit.pii', sealedV1)).toString()).toBe('alice@example.com');

    const copy = await keyRecords().find({ tenant, keyName }).toArray();
    expect(copy.filter((doc) => doc.record === 'version')).toHaveLength(2);

    await shred(tenant, keyName);
    await restore(tenant, keyName, copy);

    // The restored records say the key is alive and hold both wrapped versions...
    const reader = fx.keyring({ cacheTtlMs: 0 });
    expect((await reader.listVersions(tenant, keyName)).state).toBe('enabled');
    expect(await keyRecords().countDocuments({ tenant, keyName, record: 'version' })).toBe(2);
    // ...yet nothing under them decrypts with the live master key: their KEK was destroyed.
    await expect(reader.decrypt(tenant, 'audit.pii', sealedV1)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(reader.decrypt(tenant, 'audit.pii', sealedV2)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(reader.decryptDataKey(tenant, 'media.object', dataKey.wrapped)).rejects.toBeInstanceOf(
      KeyDestroyedError,
    );
    await expect(reader.rotate(tenant, keyName)).rejects.toBeInstanceOf(KeyDestroyedError);
    // Below the keyring: the copied material unwraps under the master key neither without a KEK
    // nor with a new KEK (a store that recreated one for the key).
    for (const doc of copy.filter((d) => d.record === 'version') as unknown as VersionRecord[]) {
      expect(doc.wrapping).toBe(KEK_WRAPPING);
      expect(() => unwrapTenantKey(fx.masterKeys, undefined, tenant, keyName, doc)).toThrow();
      expect(() => unwrapTenantKey(fx.masterKeys, randomBytes(32), tenant, keyName, doc)).toThrow();
    }
    // Nor does a keyring whose KEK store makes a KEK on demand bring it back.
    const kekStore = fx.keyring().keyEncryptionKeys;
    await kekStore.getOrCreate(tenant, keyName);
    await expect(fx.keyring({ cacheTtlMs: 0 }).decrypt(tenant, 'audit.pii', sealedV1)).rejects.toThrow();
  });

  it('the attack, as it worked when a shred only deleted the records: the restored copy decrypts', async () => {
    // A KEK store that never forgets stands for the keyring before KEKs (master key alone): the
    // shred then removes only the records, and a copy of them plus the live master key is enough.
    const real = fx.keyring().keyEncryptionKeys;
    const keyEncryptionKeys = {
      ...real,
      get: real.get.bind(real),
      getOrCreate: real.getOrCreate.bind(real),
      destroy: async () => {},
    };
    const tenant = fx.uniqueTenant();
    const keyName = subjectKeyName('u-kept');
    const keyring = fx.keyring({ keyEncryptionKeys, cacheTtlMs: 0 });
    await keyring.ensureTenantKey(tenant, keyName);
    const sealed = await keyring.encrypt(tenant, 'audit.pii', text('bob@example.com'), { keyName });
    const copy = await keyRecords().find({ tenant, keyName }).toArray();
    const now = new Date();
    await keyring.scheduleDestruction(tenant, keyName, { waitingDays: 7, now });
    await keyring.destroyDueKeys(new Date(now.getTime() + 7 * DAY_MS + 1));
    await expect(keyring.decrypt(tenant, 'audit.pii', sealed)).rejects.toBeInstanceOf(KeyDestroyedError);
    await restore(tenant, keyName, copy);
    expect((await keyring.decrypt(tenant, 'audit.pii', sealed)).toString()).toBe('bob@example.com');
  });

  it('the shred deletes the key KEK, and the KEKs live in a database apart from the key records', async () => {
    const tenant = fx.uniqueTenant();
    const keyring = fx.keyring();
    await keyring.ensureTenantKey(tenant);
    const kekDb = fx.mongo.client.db(kekDatabaseName(fx.db.databaseName));
    expect(await kekDb.collection(KEK_COLLECTION).countDocuments({ tenant })).toBe(1);
    // Nothing in the keys' own database holds a KEK: a copy of it carries none.
    const collections = (await fx.db.listCollections().toArray()).map((c) => c.name);
    expect(collections).not.toContain(KEK_COLLECTION);
    await shred(tenant, 'default');
    expect(await kekDb.collection(KEK_COLLECTION).countDocuments({ tenant })).toBe(0);
  });

  it('versions wrapped under the master key alone keep decrypting and are re-wrapped with a KEK', async () => {
    const tenant = fx.uniqueTenant();
    const keyName = 'default';
    // A version as the keyring wrote it before KEKs existed.
    const legacy = wrapUnderMasterKeyOnly(fx.masterKeys, tenant, keyName, 1, randomBytes(32), new Date());
    await keyRecords().insertOne({
      _id: versionRecordId(tenant, keyName, 1) as never,
      record: 'version',
      tenant,
      keyName,
      slot: CREATE_SLOT,
      ...legacy,
    });
    const oldProcess = fx.keyring({ cacheTtlMs: 0 });
    const sealed = await oldProcess.encrypt(tenant, 'messages.body', text('sealed before the migration'));
    // Rotating a key not migrated yet works (its KEK is made then) and the new version uses it.
    await oldProcess.rotate(tenant, keyName);
    const v2 = await keyRecords().findOne({ tenant, keyName, record: 'version', version: 2 });
    expect(v2?.wrapping).toBe(KEK_WRAPPING);

    await fx.keyring().ensureIndexes();
    const migrated = await keyRecords().findOne({ tenant, keyName, record: 'version', version: 1 });
    expect(migrated?.wrapping).toBe(KEK_WRAPPING);
    expect(migrated?.wrappedKey).not.toBe(legacy.wrappedKey);
    const reader = fx.keyring({ cacheTtlMs: 0 });
    expect((await reader.decrypt(tenant, 'messages.body', sealed)).toString()).toBe(
      'sealed before the migration',
    );

    // From now on a shred holds against a copy taken after the migration.
    const copy = await keyRecords().find({ tenant, keyName }).toArray();
    await shred(tenant, keyName);
    await restore(tenant, keyName, copy);
    await expect(
      fx.keyring({ cacheTtlMs: 0 }).decrypt(tenant, 'messages.body', sealed),
    ).rejects.toBeInstanceOf(KeyDestroyedError);
  });
});
