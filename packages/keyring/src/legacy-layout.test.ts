/** Keys stored in the first layout (one document per key) are converted and stay readable. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_COLLECTION } from './key-store.ts';
import { type KeyringFixture, openKeyringFixture } from './testing/keyring-fixture.ts';

let fx: KeyringFixture;
beforeAll(async () => {
  fx = await openKeyringFixture();
});
afterAll(async () => {
  await fx?.close();
});

describe('legacy key documents', () => {
  it('are converted at ensureIndexes: material, minimum and pending destruction carry over', async () => {
    const keyring = fx.keyring({ cacheTtlMs: 0 });
    const tenant = fx.uniqueTenant();
    await keyring.ensureTenantKey(tenant);
    await keyring.rotate(tenant, 'default', { requestKey: 'r' });
    const sealedV1 = await fx
      .keyring()
      .rewrap(tenant, 'p', await keyring.encrypt(tenant, 'p', Buffer.from('x')));
    const old = await keyring.encrypt(tenant, 'p', Buffer.from('sealed before the conversion'));
    const records = await fx.db.collection(KEYS_COLLECTION).find({ tenant, record: 'version' }).toArray();
    await fx.db.collection(KEYS_COLLECTION).deleteMany({ tenant });
    const versions = Object.fromEntries(
      records.map((r) => [
        `v${r.version}`,
        {
          version: r.version,
          masterKeyId: r.masterKeyId,
          wrappedKey: r.wrappedKey,
          wrapping: r.wrapping, // material made by today's keyring carries its KEK wrapping
          createdAt: r.createdAt,
        },
      ]),
    );
    const now = new Date();
    await fx.db.collection(KEYS_COLLECTION).insertOne({
      _id: `${tenant}/default` as never,
      tenant,
      keyName: 'default',
      state: 'pending-destruction',
      primaryVersion: 2,
      minDecryptionVersion: 2,
      versions,
      usage: {},
      rotations: {},
      destroyAt: new Date(now.getTime() + 7 * 86_400_000),
      waitingDays: 7,
      createdAt: now,
      updatedAt: now,
    });
    await keyring.ensureIndexes();
    const converted = await keyring.listVersions(tenant);
    expect(converted).toMatchObject({
      primaryVersion: 2,
      minDecryptionVersion: 2,
      state: 'pending-destruction',
    });
    await keyring.cancelDestruction(tenant, 'default');
    expect((await keyring.decrypt(tenant, 'p', old)).toString()).toBe('sealed before the conversion');
    expect(sealedV1.keyVersion).toBe(2);
    expect(
      await fx.db.collection(KEYS_COLLECTION).countDocuments({ tenant, record: { $exists: false } }),
    ).toBe(0);
  });
});
