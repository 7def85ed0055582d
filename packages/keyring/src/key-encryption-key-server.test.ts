/**
 * The KEK store on a server of its own (KEK_MONGO_URL), on the real Mongo-wire server: the stack
 * has one, so "the other server" is a connection and a database of their own, reached only
 * through the KEK settings, as a deployment reaches its KEK server. What must hold: the key
 * records' server (everything a backup of it would carry) holds no KEK, and with the live master
 * key it decrypts nothing; the KEK server holds KEKs and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig, mongoSettings } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyDestroyedError } from './errors.ts';
import { connectKeyEncryptionKeys, type KeyEncryptionKeyConnection } from './key-encryption-key-server.ts';
import { KEK_COLLECTION, kekDatabaseName } from './key-encryption-keys.ts';
import { subjectKeyName } from './key-names.ts';
import { KEYS_COLLECTION } from './key-store.ts';
import { masterKeySettings } from './settings.ts';
import { type KeyringFixture, openKeyringFixture } from './testing/keyring-fixture.ts';

const DAY_MS = 86_400_000;
const text = (s: string) => Buffer.from(s, 'utf8');
const logger = createSilentLogger();
const { MONGO_URL } = loadConfig(Type.Object(mongoSettings));
// Read as every keyring user reads them: through kit, from the keyring's own settings.
const settings = loadConfig(Type.Object({ ...mongoSettings, ...masterKeySettings }), {
  MONGO_URL,
  KEK_MONGO_URL: MONGO_URL,
  KEK_MONGO_DATABASE: `parley_kek_server_test_${randomUUID().slice(0, 8)}`,
  PARLEY_ENV: 'production',
});

let fx: KeyringFixture;
let keks: KeyEncryptionKeyConnection;
beforeAll(async () => {
  fx = await openKeyringFixture();
  keks = await connectKeyEncryptionKeys(settings, fx.db, logger);
});
afterAll(async () => {
  await keks?.database.dropDatabase();
  await keks?.stop();
  await fx?.close();
});

/** Every document of every collection in the databases of the key records' server this test uses. */
async function mainServerCopy(): Promise<string> {
  const dbs = [fx.db, fx.mongo.client.db(kekDatabaseName(fx.db.databaseName))];
  const docs: unknown[] = [];
  for (const db of dbs) {
    for (const { name } of await db.listCollections().toArray()) {
      docs.push(...(await db.collection(name).find().toArray()));
    }
  }
  return JSON.stringify(docs);
}

describe('key-encryption keys on a server of their own', () => {
  it('the key records server holds no KEK, and a copy of it decrypts nothing, even with the master key', async () => {
    expect(keks.separateServer).toBe(true);
    const tenant = fx.uniqueTenant();
    const keyName = subjectKeyName('u-alice');
    const keyring = fx.keyring({ keyEncryptionKeys: keks.store, cacheTtlMs: 0 });
    await keyring.ensureTenantKey(tenant);
    await keyring.ensureTenantKey(tenant, keyName);
    const sealed = await keyring.encrypt(tenant, 'audit.pii', text('alice@example.com'), { keyName });
    const dataKey = await keyring.generateDataKey(tenant, 'media.object');
    expect((await keyring.decrypt(tenant, 'audit.pii', sealed)).toString()).toBe('alice@example.com');

    // The KEK server holds the two KEKs, and nothing else: no key versions, no other collection.
    const kekDb = keks.database;
    expect(kekDb.databaseName).toBe(settings.KEK_MONGO_DATABASE);
    expect((await kekDb.listCollections().toArray()).map((c) => c.name)).toEqual([KEK_COLLECTION]);
    const kekDocs = await kekDb.collection(KEK_COLLECTION).find({ tenant }).toArray();
    expect(kekDocs.map((d) => d.keyName).sort()).toEqual(['default', keyName].sort());
    expect(JSON.stringify(kekDocs)).not.toContain('wrappedKey');

    // The key records' server holds the tenant key versions, and not one KEK anywhere.
    expect(await fx.db.collection(KEYS_COLLECTION).countDocuments({ tenant, record: 'version' })).toBe(2);
    const copy = await mainServerCopy();
    for (const doc of kekDocs) expect(copy).not.toContain(doc.kek as string);
    const besideKeys = fx.mongo.client.db(kekDatabaseName(fx.db.databaseName));
    expect(await besideKeys.collection(KEK_COLLECTION).countDocuments({ tenant })).toBe(0);

    // Restored without the KEK server (its default store, the master key at hand): nothing opens.
    const fromMainServerOnly = fx.keyring({ cacheTtlMs: 0 });
    await expect(fromMainServerOnly.decrypt(tenant, 'audit.pii', sealed)).rejects.toBeInstanceOf(
      KeyDestroyedError,
    );
    await expect(
      fromMainServerOnly.decryptDataKey(tenant, 'media.object', dataKey.wrapped),
    ).rejects.toBeInstanceOf(KeyDestroyedError);
  });

  it('a shred destroys the KEK on its server, so the key records copied before it stay useless', async () => {
    const tenant = fx.uniqueTenant();
    const keyName = subjectKeyName('u-erased');
    const keyring = fx.keyring({ keyEncryptionKeys: keks.store, cacheTtlMs: 0 });
    await keyring.ensureTenantKey(tenant, keyName);
    const sealed = await keyring.encrypt(tenant, 'audit.pii', text('bob@example.com'), { keyName });
    const backup = await fx.db.collection(KEYS_COLLECTION).find({ tenant, keyName }).toArray();

    const now = new Date();
    await keyring.scheduleDestruction(tenant, keyName, { waitingDays: 7, now });
    await keyring.destroyDueKeys(new Date(now.getTime() + 7 * DAY_MS + 1));
    expect(await keks.store.get(tenant, keyName)).toBeUndefined();

    await fx.db.collection(KEYS_COLLECTION).deleteMany({ tenant, keyName });
    await fx.db.collection(KEYS_COLLECTION).insertMany(backup as never[]);
    const restored = fx.keyring({ keyEncryptionKeys: keks.store, cacheTtlMs: 0 });
    await expect(restored.decrypt(tenant, 'audit.pii', sealed)).rejects.toBeInstanceOf(KeyDestroyedError);
  });

  it('refuses to keep KEKs in the key records own database', async () => {
    await expect(
      connectKeyEncryptionKeys({ KEK_MONGO_DATABASE: fx.db.databaseName }, fx.db, logger),
    ).rejects.toThrow(/must not be the key records' database/);
  });
});
