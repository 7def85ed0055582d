/**
 * Caller scoping on the real Mongo-wire server, with Parley's own purpose owners: a credential
 * opens only the purposes of the service it belongs to. Before, one shared token decrypted every
 * purpose, auth's signing keys included, so any service's token could mint access tokens.
 */
import { randomBytes } from 'node:crypto';
import { AUDIT_PII_PURPOSE, MESSAGE_BODY_PURPOSE, SIGNING_KEY_PURPOSE } from '@parley/contracts';
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import { type ServiceApp, ServiceCallers } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { cryptoComponents } from './testing/crypto-fixture.ts';

const token = (name: string) => `${name}-credential-${randomBytes(12).toString('hex')}`;
const TOKENS = {
  auth: token('auth'),
  compliance: token('compliance'),
  operator: token('operator'),
  gateway: token('gateway'),
  socket: token('socket'),
};

let fx: KeyringFixture;
let app: ServiceApp;
beforeAll(async () => {
  fx = await openKeyringFixture();
  app = buildApp(
    await cryptoComponents(fx, { logger: createSilentLogger(), callers: ServiceCallers.of(TOKENS) }),
  );
});
afterAll(async () => {
  await app?.close();
  await fx?.close();
});

const b64 = (value: Uint8Array | string) => Buffer.from(value).toString('base64');

async function call(
  caller: keyof typeof TOKENS,
  method: 'POST' | 'PUT' | 'GET' | 'DELETE',
  url: string,
  payload?: object,
) {
  const response = await app.inject({
    method,
    url,
    headers: { 'x-service-token': TOKENS[caller] },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.json() };
}

describe('what each service credential opens at the crypto service', () => {
  it("the compliance service's credential cannot decrypt auth's signing keys", async () => {
    const tenant = fx.uniqueTenant();
    const keyring = fx.keyring();
    await keyring.ensureTenantKey(tenant);
    // Sealed as auth seals a tenant's JWT signing key: purpose auth.signing-key, the kid as AAD.
    const privateKey = randomBytes(48);
    const kid = 'kid-2030-01';
    const sealed = await keyring.encrypt(tenant, SIGNING_KEY_PURPOSE, privateKey, { aad: Buffer.from(kid) });
    const request = { purpose: SIGNING_KEY_PURPOSE, ciphertext: b64(sealed), aad: b64(kid) };

    const stolen = await call('compliance', 'POST', `/v1/tenants/${tenant}/decrypt`, request);
    expect(stolen.status).toBe(403);
    expect(stolen.body.type).toBe('https://parley.dev/problems/forbidden');
    expect(JSON.stringify(stolen.body)).not.toContain(b64(privateKey));
    // Nor through the other verbs: re-sealing it, or minting signing material of its own.
    expect((await call('compliance', 'POST', `/v1/tenants/${tenant}/rewrap`, request)).status).toBe(403);
    const forged = { purpose: SIGNING_KEY_PURPOSE, plaintext: b64('forged'), aad: b64(kid) };
    expect((await call('compliance', 'POST', `/v1/tenants/${tenant}/encrypt`, forged)).status).toBe(403);
    expect((await call('gateway', 'POST', `/v1/tenants/${tenant}/decrypt`, request)).status).toBe(403);

    // The owner still can: the same request with auth's credential (what every token did before).
    const owner = await call('auth', 'POST', `/v1/tenants/${tenant}/decrypt`, request);
    expect(owner.status).toBe(200);
    expect(Buffer.from(owner.body.plaintext, 'base64')).toEqual(privateKey);
  });

  it("the socket service's credential opens message bodies' data keys and does nothing else with keys", async () => {
    const tenant = fx.uniqueTenant();
    const keyring = fx.keyring();
    await keyring.ensureTenantKey(tenant);
    // A data key as messaging seals bodies with (in process, through its own keyring).
    const dataKey = await keyring.generateDataKey(tenant, MESSAGE_BODY_PURPOSE);
    const open = { purpose: MESSAGE_BODY_PURPOSE, wrapped: b64(dataKey.wrapped) };
    const opened = await call('socket', 'POST', `/v1/tenants/${tenant}/data-keys/decrypt`, open);
    expect(opened.status).toBe(200);
    expect(Buffer.from(opened.body.plaintext, 'base64')).toEqual(dataKey.plaintext);

    // It seals nothing and opens nothing else under that purpose: no new data keys, no
    // encrypt, decrypt or rewrap of ciphertexts.
    const sealed = await keyring.encrypt(tenant, MESSAGE_BODY_PURPOSE, Buffer.from('{"text":"hi"}'), {
      aad: Buffer.from('m1'),
    });
    const ciphertext = { purpose: MESSAGE_BODY_PURPOSE, ciphertext: b64(sealed), aad: b64('m1') };
    expect(
      (await call('socket', 'POST', `/v1/tenants/${tenant}/data-keys`, { purpose: MESSAGE_BODY_PURPOSE }))
        .status,
    ).toBe(403);
    expect((await call('socket', 'POST', `/v1/tenants/${tenant}/decrypt`, ciphertext)).status).toBe(403);
    expect((await call('socket', 'POST', `/v1/tenants/${tenant}/rewrap`, ciphertext)).status).toBe(403);
    const forged = { purpose: MESSAGE_BODY_PURPOSE, plaintext: b64('{"text":"forged"}'), aad: b64('m1') };
    expect((await call('socket', 'POST', `/v1/tenants/${tenant}/encrypt`, forged)).status).toBe(403);

    // Nor another purpose's data keys (auth's signing keys), and the opener's right is the
    // socket's only: the gateway's credential opens no body's data key.
    const signing = await keyring.generateDataKey(tenant, SIGNING_KEY_PURPOSE);
    const stolen = { purpose: SIGNING_KEY_PURPOSE, wrapped: b64(signing.wrapped) };
    expect((await call('socket', 'POST', `/v1/tenants/${tenant}/data-keys/decrypt`, stolen)).status).toBe(
      403,
    );
    expect((await call('gateway', 'POST', `/v1/tenants/${tenant}/data-keys/decrypt`, open)).status).toBe(403);
  });

  it("auth's credential cannot read compliance's personal data, which compliance can", async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    const sealed = await call('compliance', 'POST', `/v1/tenants/${tenant}/encrypt`, {
      purpose: AUDIT_PII_PURPOSE,
      plaintext: b64('alice@example.com'),
    });
    expect(sealed.status).toBe(200);
    const request = { purpose: AUDIT_PII_PURPOSE, ciphertext: sealed.body.ciphertext };
    expect((await call('auth', 'POST', `/v1/tenants/${tenant}/decrypt`, request)).status).toBe(403);
    expect((await call('compliance', 'POST', `/v1/tenants/${tenant}/decrypt`, request)).status).toBe(200);
  });

  it('a purpose no service owns is refused to every caller', async () => {
    const tenant = fx.uniqueTenant();
    await fx.keyring().ensureTenantKey(tenant);
    for (const caller of ['auth', 'compliance', 'operator'] as const) {
      const answer = await call(caller, 'POST', `/v1/tenants/${tenant}/data-keys`, {
        purpose: 'unowned.thing',
      });
      expect(answer.status).toBe(403);
    }
  });

  it('only the operator and compliance manage keys; every known caller reads their metadata', async () => {
    const tenant = fx.uniqueTenant();
    expect((await call('auth', 'PUT', `/v1/tenants/${tenant}/keys/default`)).status).toBe(403);
    expect(
      (await call('gateway', 'PUT', `/v1/tenants/${tenant}/keys/default`, { waitingDays: 7 })).status,
    ).toBe(403);
    expect((await call('operator', 'PUT', `/v1/tenants/${tenant}/keys/default`)).status).toBeLessThan(300);
    expect((await call('auth', 'POST', `/v1/tenants/${tenant}/keys/default/rotate`, {})).status).toBe(403);
    expect((await call('compliance', 'POST', `/v1/tenants/${tenant}/keys/default/rotate`, {})).status).toBe(
      200,
    );
    expect(
      (await call('auth', 'PUT', `/v1/tenants/${tenant}/keys/default/destruction`, { waitingDays: 7 }))
        .status,
    ).toBe(403);
    const read = await call('auth', 'GET', `/v1/tenants/${tenant}/keys/default`);
    expect(read.status).toBe(200);
    expect(read.body.primaryVersion).toBe(2);
  });
});
