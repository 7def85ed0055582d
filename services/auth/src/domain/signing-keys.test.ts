// Signing keys: sealed by the keyring, published in the JWKS, rotated per period and kept
// published until the tokens they signed have expired.
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_KEYS_COLLECTION, type SigningKeyDocument } from '../store/signing-key-store.ts';
import { type AuthFixture, openAuthFixture, uniqueTenant } from '../testing/auth-fixture.ts';
import { SIGNING_KEY_PURPOSE, SigningKeys } from './signing-keys.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('signing keys', () => {
  it("publishes the key that signed a token in its tenant's JWKS, and stores its private half sealed", async () => {
    await f.register('leo@example.com');
    const tokens = await f.login('leo@example.com');
    const { kid } = decodeProtectedHeader(tokens.accessToken as string);
    expect(kid?.startsWith(`${f.tenant}.`)).toBe(true);
    const jwks = await f.app.inject({ url: `/v1/tenants/${f.tenant}/.well-known/jwks.json` });
    expect(jwks.statusCode).toBe(200);
    const key = (jwks.json().keys as Record<string, unknown>[]).find((k) => k.kid === kid);
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(key).not.toHaveProperty('d');

    const stored = await f.platformDb
      .collection<SigningKeyDocument>(SIGNING_KEYS_COLLECTION)
      .findOne({ kid });
    expect(stored).not.toBeNull();
    expect(JSON.stringify(stored)).not.toMatch(/"d":/);
    expect(stored?.sealedPrivateKey).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it('the public key sets cannot be used to list the tenants', async () => {
    const other = uniqueTenant('other');
    try {
      const { kid: otherKid } = await f.components.signingKeys.signerFor(other);
      const { kid: ownKid } = await f.components.signingKeys.signerFor(f.tenant);
      // The key set of every tenant is gone: it listed them all (key ids start with the tenant).
      const everyTenant = await f.app.inject({ url: '/.well-known/jwks.json' });
      expect(everyTenant.statusCode).toBe(404);
      expect(everyTenant.body).not.toContain(other);
      const own = await f.app.inject({ url: `/v1/tenants/${f.tenant}/.well-known/jwks.json` });
      const kids = (own.json().keys as { kid: string }[]).map((k) => k.kid);
      expect(kids).toContain(ownKid);
      expect(kids).not.toContain(otherKid);
      for (const k of kids) expect(k.startsWith(`${f.tenant}.`)).toBe(true);
      expect(own.body).not.toContain(other);
      // A made-up tenant gets the same empty answer as one without keys: nothing to tell apart.
      const madeUp = await f.app.inject({
        url: `/v1/tenants/${uniqueTenant('nobody')}/.well-known/jwks.json`,
      });
      expect(madeUp.statusCode).toBe(200);
      expect(madeUp.json()).toEqual({ keys: [] });
    } finally {
      await f.platformDb.collection(SIGNING_KEYS_COLLECTION).deleteMany({ tenant: other });
    }
  });

  it('cannot open a sealed key under another key id or tenant', async () => {
    const doc = await f.platformDb
      .collection<SigningKeyDocument>(SIGNING_KEYS_COLLECTION)
      .findOne({ tenant: f.tenant });
    const sealed = Buffer.from(doc?.sealedPrivateKey ?? '', 'base64');
    const { createKeyring, MasterKeyring } = await import('@parley/keyring');
    const stranger = createKeyring({
      db: f.platformDb,
      masterKeys: MasterKeyring.fromKeys([{ id: 'stranger', key: Buffer.alloc(32, 7) }]),
      logger: (await import('@parley/kit/testing')).createSilentLogger(),
    });
    // Another master key cannot unwrap the tenant's key, whatever the key id.
    await expect(
      stranger.decrypt(f.tenant, SIGNING_KEY_PURPOSE, sealed, { aad: Buffer.from(doc?.kid ?? '') }),
    ).rejects.toThrow();
  });

  it('rotates per period and keeps the old key published until its tokens have expired', async () => {
    let now = Date.UTC(2030, 0, 1, 0, 0, 0);
    const periodSeconds = 600;
    const ttl = 60;
    const collection = f.platformDb.collection<SigningKeyDocument>(SIGNING_KEYS_COLLECTION);
    const { createKeyring, MasterKeyring } = await import('@parley/keyring');
    const keyring = createKeyring({
      db: f.platformDb,
      masterKeys: MasterKeyring.fromKeys([{ id: 'rotation', key: Buffer.alloc(32, 9) }]),
      logger: (await import('@parley/kit/testing')).createSilentLogger(),
    });
    const rotationTenant = uniqueTenant('rot');
    const keys = new SigningKeys({
      collection,
      keyring,
      periodSeconds,
      accessTokenTtlSeconds: ttl,
      clockToleranceSeconds: 5,
      now: () => now,
    });
    try {
      const first = await keys.signerFor(rotationTenant);
      now += 100_000; // later in the same period
      expect((await keys.signerFor(rotationTenant)).kid).toBe(first.kid);
      now = Date.UTC(2030, 0, 1, 0, 10, 1); // the next period
      const second = await keys.signerFor(rotationTenant);
      expect(second.kid).not.toBe(first.kid);
      const published = async () => (await keys.tenantJwks(rotationTenant)).keys.map((k) => k.kid);
      keys.invalidate();
      expect(await published()).toEqual(expect.arrayContaining([first.kid, second.kid]));
      now = Date.UTC(2030, 0, 1, 0, 10, 0) + (ttl + 5) * 1000 + 1; // every token of the first key expired
      keys.invalidate();
      expect(await published()).not.toContain(first.kid);
      expect(await published()).toContain(second.kid);
      // Near the end of a period the next key is made ahead of time, so clients know it before it signs.
      now = Date.UTC(2030, 0, 1, 0, 19, 30);
      await keys.signerFor(rotationTenant);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await published()).toHaveLength(2);
    } finally {
      await collection.deleteMany({ tenant: rotationTenant });
      await f.platformDb.collection('tenant_keys').deleteMany({ tenant: rotationTenant });
    }
  });
});
