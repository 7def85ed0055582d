/** Local envelope encryption: pure functions, no stores involved. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeSealer, openEnvelope, parseEnvelope, replaceWrappedDataKey } from './envelope.ts';
import { DecryptionFailedError } from './errors.ts';

const dataKey = randomBytes(32);
const wrapped = randomBytes(70); // opaque here: the keyring authenticates it when unwrapping
const sealer = new EnvelopeSealer({
  tenant: 'acme',
  purpose: 'messages.body',
  dataKey,
  wrappedDataKey: wrapped,
});

describe('envelope', () => {
  it('round-trips and carries the wrapped data key', () => {
    const sealed = sealer.seal(Buffer.from('hi'), Buffer.from('m-1'));
    expect(parseEnvelope(sealed).wrappedDataKey).toEqual(wrapped);
    expect(openEnvelope(dataKey, sealed, 'acme', 'messages.body', Buffer.from('m-1')).toString()).toBe('hi');
  });

  it('uses a fresh nonce each time', () => {
    const a = sealer.seal(Buffer.from('same'));
    const b = sealer.seal(Buffer.from('same'));
    expect(a.equals(b)).toBe(false);
  });

  it('refuses another tenant, purpose, AAD, key or a flipped bit', () => {
    const sealed = sealer.seal(Buffer.from('secret'), Buffer.from('m-1'));
    const aad = Buffer.from('m-1');
    expect(() => openEnvelope(dataKey, sealed, 'other', 'messages.body', aad)).toThrow(DecryptionFailedError);
    expect(() => openEnvelope(dataKey, sealed, 'acme', 'audit.pii', aad)).toThrow(DecryptionFailedError);
    expect(() => openEnvelope(dataKey, sealed, 'acme', 'messages.body')).toThrow(DecryptionFailedError);
    expect(() => openEnvelope(randomBytes(32), sealed, 'acme', 'messages.body', aad)).toThrow(
      DecryptionFailedError,
    );
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 1;
    expect(() => openEnvelope(dataKey, flipped, 'acme', 'messages.body', aad)).toThrow(DecryptionFailedError);
    expect(() => openEnvelope(dataKey, Buffer.from([1, 3, 0]), 'acme', 'messages.body')).toThrow(
      DecryptionFailedError,
    );
    expect(() => openEnvelope(dataKey, Buffer.from([1, 1, 0, 0]), 'acme', 'messages.body')).toThrow(
      DecryptionFailedError,
    );
  });

  it('replacing the wrapped data key keeps the payload readable with the same data key', () => {
    const sealed = sealer.seal(Buffer.from('payload'));
    const rewrapped = replaceWrappedDataKey(sealed, randomBytes(80));
    expect(parseEnvelope(rewrapped).wrappedDataKey).toHaveLength(80);
    expect(openEnvelope(dataKey, rewrapped, 'acme', 'messages.body').toString()).toBe('payload');
  });
});
