/**
 * The crypto service over HTTP (Fastify inject) against the real Mongo-wire server: every verb,
 * the problem details of every refusal, and the service credential.
 */
import { randomBytes } from 'node:crypto';
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import type { ServiceApp } from '@parley/kit';
import { createCapturingLogger, createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { cryptoComponents } from './testing/crypto-fixture.ts';
import { unrestrictedCaller } from './testing/test-callers.ts';

const TOKEN = 'test-service-token-0123456789';
let fx: KeyringFixture;
let app: ServiceApp;

beforeAll(async () => {
  fx = await openKeyringFixture();
  app = buildApp(await cryptoComponents(fx, { logger: createSilentLogger(), ...unrestrictedCaller(TOKEN) }));
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await fx?.close();
});

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, token = TOKEN) {
  const response = await app.inject({
    method,
    url,
    headers: token ? { 'x-service-token': token } : {},
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

async function newTenant(): Promise<string> {
  const tenant = fx.uniqueTenant();
  const created = await call('PUT', `/v1/tenants/${tenant}/keys/default`);
  expect(created.status).toBe(200);
  return tenant;
}

describe('crypto service', () => {
  it('refuses every call without a valid service credential', async () => {
    const tenant = fx.uniqueTenant();
    for (const token of ['', 'wrong-token-wrong-token']) {
      const response = await call(
        'POST',
        `/v1/tenants/${tenant}/encrypt`,
        { purpose: 'p', plaintext: b64('x') },
        token,
      );
      expect(response.status).toBe(401);
      expect(response.body.type).toBe('https://parley.dev/problems/unauthorized');
    }
    expect((await call('PUT', `/v1/tenants/${tenant}/keys/default`, undefined, '')).status).toBe(401);
  });

  it('creates a key idempotently and lists its versions', async () => {
    const tenant = await newTenant();
    const again = await call('PUT', `/v1/tenants/${tenant}/keys/default`);
    expect(again.body).toMatchObject({ tenant, keyName: 'default', primaryVersion: 1, state: 'enabled' });
    const listed = await call('GET', `/v1/tenants/${tenant}/keys`);
    expect(listed.body.keys).toHaveLength(1);
    expect(listed.body.keys[0].versions[0]).toMatchObject({ version: 1, available: true });
    expect(JSON.stringify(listed.body)).not.toMatch(/wrappedKey/);
  });

  it('encrypts and decrypts, with AAD; a wrong tenant, purpose or AAD is a decryption-failed problem', async () => {
    const tenant = await newTenant();
    const other = await newTenant();
    const sealed = await call('POST', `/v1/tenants/${tenant}/encrypt`, {
      purpose: 'messages.body',
      plaintext: b64('hello'),
      aad: b64('conv-1'),
    });
    expect(sealed.status).toBe(200);
    expect(sealed.body.keyVersion).toBe(1);
    const opened = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'messages.body',
      ciphertext: sealed.body.ciphertext,
      aad: b64('conv-1'),
    });
    expect(Buffer.from(opened.body.plaintext, 'base64').toString()).toBe('hello');
    expect(opened.headers['cache-control']).toBe('no-store');
    for (const [t, purpose, aad] of [
      [other, 'messages.body', b64('conv-1')],
      [tenant, 'audit.pii', b64('conv-1')],
      [tenant, 'messages.body', b64('conv-2')],
    ] as const) {
      const refused = await call('POST', `/v1/tenants/${t}/decrypt`, {
        purpose,
        ciphertext: sealed.body.ciphertext,
        aad,
      });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({
        type: 'https://parley.dev/problems/decryption-failed',
        status: 400,
      });
      expect(refused.body.plaintext).toBeUndefined();
    }
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/parley_crypto_refusals_total\{code="decryption-failed"\} [1-9]/);
    const tampered = Buffer.from(sealed.body.ciphertext, 'base64');
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x80;
    const refused = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'messages.body',
      ciphertext: b64(tampered),
      aad: b64('conv-1'),
    });
    expect(refused.body.type).toBe('https://parley.dev/problems/decryption-failed');
  });

  it('answers an unknown key version with 404 and validation errors with 400, never a stack', async () => {
    const tenant = await newTenant();
    const sealed = await call('POST', `/v1/tenants/${tenant}/encrypt`, { purpose: 'p', plaintext: b64('x') });
    const forged = Buffer.from(sealed.body.ciphertext, 'base64');
    forged.writeUInt32BE(42, 3 + 'default'.length);
    const unknown = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'p',
      ciphertext: b64(forged),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('https://parley.dev/problems/unknown-key-version');
    const missingKey = await call('POST', `/v1/tenants/${fx.uniqueTenant()}/encrypt`, {
      purpose: 'p',
      plaintext: b64('x'),
    });
    expect(missingKey.status).toBe(404);
    expect(missingKey.body.type).toBe('https://parley.dev/problems/unknown-key');
    const invalid = await call('POST', `/v1/tenants/${tenant}/encrypt`, {
      purpose: 'Not A Purpose',
      plaintext: '***',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.type).toBe('https://parley.dev/problems/validation');
    const badTenant = await call('POST', '/v1/tenants/Bad_Tenant/encrypt', {
      purpose: 'p',
      plaintext: b64('x'),
    });
    expect(badTenant.status).toBe(400);
    expect(JSON.stringify([unknown.body, invalid.body, badTenant.body])).not.toMatch(/at .*\.ts/);
  });

  it('data keys: generate, decrypt; rotate (idempotent by request key); rewrap without plaintext', async () => {
    const tenant = await newTenant();
    const dataKey = await call('POST', `/v1/tenants/${tenant}/data-keys`, { purpose: 'messages.body' });
    expect(dataKey.status).toBe(200);
    expect(Buffer.from(dataKey.body.plaintext, 'base64')).toHaveLength(32);
    expect(dataKey.headers['cache-control']).toBe('no-store');
    const first = await call('POST', `/v1/tenants/${tenant}/keys/default/rotate`, { requestKey: 'slot-1' });
    const second = await call('POST', `/v1/tenants/${tenant}/keys/default/rotate`, { requestKey: 'slot-1' });
    expect([first.body.version, first.body.rotated]).toEqual([2, true]);
    expect([second.body.version, second.body.rotated]).toEqual([2, false]);
    const rewrapped = await call('POST', `/v1/tenants/${tenant}/rewrap`, {
      purpose: 'messages.body',
      ciphertext: dataKey.body.wrapped,
    });
    expect(rewrapped.body).toMatchObject({ keyVersion: 2, rewrapped: true });
    expect(rewrapped.body.plaintext).toBeUndefined();
    const unwrapped = await call('POST', `/v1/tenants/${tenant}/data-keys/decrypt`, {
      purpose: 'messages.body',
      wrapped: rewrapped.body.ciphertext,
    });
    expect(unwrapped.body.plaintext).toBe(dataKey.body.plaintext);
  });

  it('the minimum decryption version ratchets up only; a retired version answers 403', async () => {
    const tenant = await newTenant();
    const old = await call('POST', `/v1/tenants/${tenant}/encrypt`, { purpose: 'p', plaintext: b64('old') });
    await call('POST', `/v1/tenants/${tenant}/keys/default/rotate`, {});
    const raised = await call('PUT', `/v1/tenants/${tenant}/keys/default/min-decryption-version`, {
      minDecryptionVersion: 2,
    });
    expect(raised.body.minDecryptionVersion).toBe(2);
    const lowered = await call('PUT', `/v1/tenants/${tenant}/keys/default/min-decryption-version`, {
      minDecryptionVersion: 1,
    });
    expect(lowered.status).toBe(400);
    expect(lowered.body.type).toBe('https://parley.dev/problems/invalid-key-request');
    const retired = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'p',
      ciphertext: old.body.ciphertext,
    });
    expect(retired.status).toBe(403);
    expect(retired.body.type).toBe('https://parley.dev/problems/key-version-retired');
  });

  it('crypto-shreds a subject key: 409 while pending, cancellable, 410 once destroyed', async () => {
    const tenant = await newTenant();
    const subject = encodeURIComponent('subject:u-42');
    await call('PUT', `/v1/tenants/${tenant}/keys/${subject}`);
    const pii = await call('POST', `/v1/tenants/${tenant}/encrypt`, {
      purpose: 'audit.pii',
      plaintext: b64('grace@example.com'),
      keyName: 'subject:u-42',
    });
    expect(pii.status).toBe(200);
    const tooShort = await call('PUT', `/v1/tenants/${tenant}/keys/${subject}/destruction`, {
      waitingDays: 3,
    });
    expect(tooShort.status).toBe(400);
    const scheduled = await call('PUT', `/v1/tenants/${tenant}/keys/${subject}/destruction`, {
      waitingDays: 7,
    });
    expect(scheduled.body).toMatchObject({ state: 'pending-destruction', waitingDays: 7 });
    const pending = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'audit.pii',
      ciphertext: pii.body.ciphertext,
    });
    expect(pending.status).toBe(409);
    expect(pending.body.type).toBe('https://parley.dev/problems/key-pending-destruction');
    const cancelled = await call('DELETE', `/v1/tenants/${tenant}/keys/${subject}/destruction`);
    expect(cancelled.body.state).toBe('enabled');
    const readable = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'audit.pii',
      ciphertext: pii.body.ciphertext,
    });
    expect(Buffer.from(readable.body.plaintext, 'base64').toString()).toBe('grace@example.com');
    await call('PUT', `/v1/tenants/${tenant}/keys/${subject}/destruction`, { waitingDays: 7 });
    await fx.keyring().destroyDueKeys(new Date(Date.now() + 8 * 86_400_000));
    const gone = await call('POST', `/v1/tenants/${tenant}/decrypt`, {
      purpose: 'audit.pii',
      ciphertext: pii.body.ciphertext,
    });
    expect(gone.status).toBe(410);
    expect(gone.body.type).toBe('https://parley.dev/problems/key-destroyed');
    const meta = await call('GET', `/v1/tenants/${tenant}/keys/subject:u-42`); // ':' need not be encoded
    expect(meta.body.state).toBe('destroyed');
    expect(meta.body.versions.every((v: { available: boolean }) => !v.available)).toBe(true);
    const tenantKey = await call('POST', `/v1/tenants/${tenant}/encrypt`, {
      purpose: 'p',
      plaintext: b64(randomBytes(4)),
    });
    expect(tenantKey.status).toBe(200);
  });

  it('logs no key material, plaintext or credential, even at debug level', async () => {
    const { logger, lines } = createCapturingLogger('crypto');
    const logged = buildApp(await cryptoComponents(fx, { logger, ...unrestrictedCaller(TOKEN) }));
    try {
      const tenant = fx.uniqueTenant();
      const headers = { 'x-service-token': TOKEN };
      await logged.inject({ method: 'PUT', url: `/v1/tenants/${tenant}/keys/default`, headers });
      const secret = b64('a very secret message');
      const dataKey = (
        await logged.inject({
          method: 'POST',
          url: `/v1/tenants/${tenant}/data-keys`,
          headers,
          payload: { purpose: 'p' },
        })
      ).json();
      const sealed = (
        await logged.inject({
          method: 'POST',
          url: `/v1/tenants/${tenant}/encrypt`,
          headers,
          payload: { purpose: 'p', plaintext: secret },
        })
      ).json();
      await logged.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/keys/default/rotate`,
        headers,
        payload: {},
      });
      await logged.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/decrypt`,
        headers,
        payload: { purpose: 'other', ciphertext: sealed.ciphertext },
      });
      const text = JSON.stringify(lines());
      expect(lines().length).toBeGreaterThan(3);
      for (const needle of [secret, dataKey.plaintext, TOKEN]) expect(text).not.toContain(needle);
    } finally {
      await logged.close();
    }
  });
});
