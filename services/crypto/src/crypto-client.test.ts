/**
 * @parley/crypto-client against a listening crypto service (real HTTP, real Mongo-wire server):
 * typed round trips, problem codes surfacing as CryptoServiceError codes, and local envelope
 * encryption that fetches one data key for many messages, follows a rotation, and stops
 * decrypting once the key is crypto-shredded.
 */
import {
  CryptoClient,
  CryptoServiceError,
  type DataKeySource,
  EnvelopeEncryptor,
} from '@parley/crypto-client';
import { decodeKeyedHeader, KIND_DATA_KEY, parseEnvelope } from '@parley/keyring';
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import type { ServiceApp } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { cryptoComponents } from './testing/crypto-fixture.ts';
import { unrestrictedCaller } from './testing/test-callers.ts';

const TOKEN = 'client-test-service-token-42';
let fx: KeyringFixture;
let app: ServiceApp;
let client: CryptoClient;

beforeAll(async () => {
  fx = await openKeyringFixture();
  app = buildApp(await cryptoComponents(fx, { logger: createSilentLogger(), ...unrestrictedCaller(TOKEN) }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new CryptoClient({ baseUrl: address, serviceToken: TOKEN });
});
afterAll(async () => {
  await app?.close();
  await fx?.close();
});

const text = (s: string) => Buffer.from(s);

/** Counts the calls that reach the service (a pass-through, not a stand-in). */
function counting(source: DataKeySource) {
  const calls = { generate: 0, decrypt: 0 };
  const counted: DataKeySource = {
    generateDataKey: (tenant, purpose) => {
      calls.generate++;
      return source.generateDataKey(tenant, purpose);
    },
    decryptDataKey: (tenant, purpose, wrapped) => {
      calls.decrypt++;
      return source.decryptDataKey(tenant, purpose, wrapped);
    },
  };
  return { calls, counted };
}

const versionOf = (envelope: Buffer) =>
  decodeKeyedHeader(parseEnvelope(envelope).wrappedDataKey, KIND_DATA_KEY).version;

describe('crypto-client', () => {
  it('round-trips through the service and surfaces problem codes', async () => {
    const tenant = fx.uniqueTenant();
    expect((await client.ensureKey(tenant)).primaryVersion).toBe(1);
    const sealed = await client.encrypt(tenant, 'messages.body', text('hi'), { aad: text('c-1') });
    expect(await client.decrypt(tenant, 'messages.body', sealed, { aad: text('c-1') })).toEqual(text('hi'));
    const refused = await client
      .decrypt(tenant, 'audit.pii', sealed, { aad: text('c-1') })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CryptoServiceError);
    expect(refused).toMatchObject({ status: 400, code: 'decryption-failed' });
    const rotated = await client.rotate(tenant);
    expect(rotated.version).toBe(2);
    const rewrapped = await client.rewrap(tenant, 'messages.body', sealed, { aad: text('c-1') });
    expect(rewrapped.keyVersion).toBe(2);
    expect((await client.listKeys(tenant)).map((k) => k.keyName)).toEqual(['default']);
  });

  it('envelope encryption: one data key call for many messages; each message decrypts; tenants stay apart', async () => {
    const tenant = fx.uniqueTenant();
    const other = fx.uniqueTenant();
    await client.ensureKey(tenant);
    await client.ensureKey(other);
    const { calls, counted } = counting(client);
    const envelopes = new EnvelopeEncryptor({ source: counted });
    const sealed = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        envelopes.encrypt(tenant, 'messages.body', text(`message ${i}`), text(`m-${i}`)),
      ),
    );
    expect(calls.generate).toBe(1);
    const reader = new EnvelopeEncryptor({ source: counted });
    for (const [i, envelope] of sealed.entries()) {
      expect((await reader.decrypt(tenant, 'messages.body', envelope, text(`m-${i}`))).toString()).toBe(
        `message ${i}`,
      );
    }
    expect(calls.decrypt).toBe(1);
    const moved = await reader
      .decrypt(other, 'messages.body', sealed[0] as Buffer, text('m-0'))
      .catch((e: unknown) => e);
    expect(moved).toMatchObject({ code: 'decryption-failed' });
    const wrongAad = await reader
      .decrypt(tenant, 'messages.body', sealed[0] as Buffer, text('m-1'))
      .catch((e: unknown) => e);
    expect(wrongAad).toMatchObject({ code: 'decryption-failed' });
  });

  it('after a rotation event new envelopes use the new version, old ones still open, and rewrap moves them', async () => {
    const tenant = fx.uniqueTenant();
    await client.ensureKey(tenant);
    const envelopes = new EnvelopeEncryptor({ source: client });
    const before = await envelopes.encrypt(tenant, 'messages.body', text('before'));
    expect(versionOf(before)).toBe(1);
    await client.rotate(tenant, 'default', { requestKey: 'slot-a' });
    envelopes.handleKeyEvent({ type: 'crypto.key.rotated.v1', tenant });
    const after = await envelopes.encrypt(tenant, 'messages.body', text('after'));
    expect(versionOf(after)).toBe(2);
    expect((await envelopes.decrypt(tenant, 'messages.body', before)).toString()).toBe('before');
    const rewrapped = await client.rewrap(tenant, 'messages.body', before);
    expect(rewrapped).toMatchObject({ keyVersion: 2, rewrapped: true });
    expect(versionOf(rewrapped.ciphertext)).toBe(2);
    expect(
      (
        await new EnvelopeEncryptor({ source: client }).decrypt(tenant, 'messages.body', rewrapped.ciphertext)
      ).toString(),
    ).toBe('before');
  });

  it('a crypto-shredded key: envelopes no longer open (410) once the event reaches the encryptor', async () => {
    const tenant = fx.uniqueTenant();
    await client.ensureKey(tenant);
    const envelopes = new EnvelopeEncryptor({ source: client });
    const sealed = await envelopes.encrypt(tenant, 'messages.body', text('to be shredded'));
    expect((await envelopes.decrypt(tenant, 'messages.body', sealed)).toString()).toBe('to be shredded');
    await client.scheduleDestruction(tenant, 'default', 7);
    await fx.keyring().destroyDueKeys(new Date(Date.now() + 8 * 86_400_000));
    envelopes.handleKeyEvent({ type: 'crypto.key.destroyed.v1', tenant });
    const error = await envelopes.decrypt(tenant, 'messages.body', sealed).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 410, code: 'key-destroyed' });
    const encryptError = await envelopes.encrypt(tenant, 'messages.body', text('x')).catch((e: unknown) => e);
    expect(encryptError).toMatchObject({ status: 410, code: 'key-destroyed' });
  });

  it('the service refuses a client with a wrong credential', async () => {
    const stranger = new CryptoClient({
      baseUrl: client.transport.baseUrl,
      serviceToken: 'not-the-right-token',
    });
    const error = await stranger.ensureKey(fx.uniqueTenant()).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});
