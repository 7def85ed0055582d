/**
 * The encrypted-field declarations (@parley/contracts ENCRYPTED_FIELDS) against the auth service
 * as it really writes: TOTP secrets (confirmed and pending) and signing keys made through auth's
 * own routes are found and moved to the new key version by the background rewrap, and once the
 * old version is retired auth still reads every one of them (a TOTP login, a pending enrolment
 * confirmed, each signing key opened).
 */
import { currentTotp } from '@parley/auth-service/domain/totp';
import { type AuthFixture, openAuthFixture, PASSWORD } from '@parley/auth-service/testing';
import { ENCRYPTED_FIELDS, SIGNING_KEY_PURPOSE } from '@parley/contracts';
import { ciphertextKeyVersion, type RewrapProgress, StoredCiphertextRewrap } from '@parley/keyring';
import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

async function storedCiphertexts(): Promise<{ field: string; blob: Buffer; aad: string }[]> {
  const users = (await f.components.store.forTenant(f.tenant)).users;
  const found: { field: string; blob: Buffer; aad: string }[] = [];
  for (const user of await users.find().toArray()) {
    for (const [field, sealed] of [
      ['totp', user.totp?.sealedSecret],
      ['totpPending', user.totpPending?.sealedSecret],
    ] as const) {
      if (sealed) found.push({ field, blob: Buffer.from(sealed, 'base64'), aad: user._id });
    }
  }
  for (const key of await f.platformDb.collection('auth_signing_keys').find({ tenant: f.tenant }).toArray()) {
    found.push({ field: 'signing', blob: Buffer.from(key.sealedPrivateKey, 'base64'), aad: key.kid });
  }
  return found;
}

describe('background rewrap of what auth stores', { timeout: 120_000 }, () => {
  it('moves TOTP secrets and signing keys to the new version, and auth reads them after the old one retires', async () => {
    // Grace enrols and confirms TOTP; Alan starts enrolling and stops (a pending secret).
    await f.register('grace@example.com');
    const grace = await f.login('grace@example.com');
    const secret = (await f.post('/v1/me/mfa/totp', grace.accessToken, { password: PASSWORD })).json()
      .secret as string;
    const confirmed = await f.post('/v1/me/mfa/totp/confirm', grace.accessToken, {
      code: await currentTotp(secret, Date.now() / 1000 - 30),
    });
    expect(confirmed.statusCode).toBe(200);
    await f.register('alan@example.com');
    const alan = await f.login('alan@example.com');
    const pendingSecret = (await f.post('/v1/me/mfa/totp', alan.accessToken, { password: PASSWORD })).json()
      .secret as string;

    const before = await storedCiphertexts();
    expect(before.map((c) => c.field).sort()).toEqual(
      expect.arrayContaining(['signing', 'totp', 'totpPending']),
    );
    expect(new Set(before.map((c) => ciphertextKeyVersion(c.blob).version))).toEqual(new Set([1]));

    await f.keyring.rotate(f.tenant, 'default');
    const job = new StoredCiphertextRewrap({
      client: f.mongo.client,
      platformDb: f.platformDb,
      keyring: f.keyring,
      fields: ENCRYPTED_FIELDS,
      logger: createSilentLogger(),
      settleMs: 0,
    });
    let progress: RewrapProgress | undefined;
    for (let i = 0; i < 20 && progress?.state !== 'Done'; i++) {
      progress = await job.advance(f.tenant, 'default', { budgetMs: 1_000 });
    }
    expect(progress).toMatchObject({ state: 'Done', completedVersion: 2, rewrappedForTarget: before.length });

    const after = await storedCiphertexts();
    expect(after).toHaveLength(before.length);
    expect(new Set(after.map((c) => ciphertextKeyVersion(c.blob).version))).toEqual(new Set([2]));

    // Version 1 retires; auth still reads everything it stored.
    await f.keyring.setMinDecryptionVersion(f.tenant, 'default', 2);
    const first = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login`,
      payload: { email: 'grace@example.com', password: PASSWORD },
    });
    expect(first.json()).toMatchObject({ mfaRequired: true });
    const stepUp = await f.app.inject({
      method: 'POST',
      url: `/v1/tenants/${f.tenant}/login/mfa`,
      payload: { challenge: first.json().challenge, code: await currentTotp(secret) },
    });
    expect(stepUp.statusCode).toBe(200);
    const alanConfirms = await f.post('/v1/me/mfa/totp/confirm', alan.accessToken, {
      code: await currentTotp(pendingSecret),
    });
    expect(alanConfirms.statusCode).toBe(200);
    for (const key of after.filter((c) => c.field === 'signing')) {
      const der = await f.keyring.decrypt(f.tenant, SIGNING_KEY_PURPOSE, key.blob, {
        aad: Buffer.from(key.aad),
      });
      expect(der.length).toBeGreaterThan(0);
    }
  });
});
