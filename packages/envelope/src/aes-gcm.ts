/**
 * AES-256-GCM, the one cipher of the keyring: random 96-bit nonces (NIST SP 800-38D §8.2.2) and
 * 128-bit tags. `seal` writes header | nonce | ciphertext | tag into one buffer so callers never
 * concatenate; `open` throws DecryptionFailedError instead of ever returning unauthenticated bytes.
 */
import { createCipheriv, createDecipheriv, type KeyObject, randomFillSync } from 'node:crypto';
import { DecryptionFailedError } from './errors.ts';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export type AesKey = Buffer | KeyObject;

/** Encrypts `plaintext` and returns `header | nonce | ciphertext | tag`; the header is not encrypted. */
export function seal(key: AesKey, plaintext: Uint8Array, aad: Uint8Array, header: Uint8Array): Buffer {
  return sealWithNonce(key, undefined, plaintext, aad, header);
}

/**
 * `seal` with a given nonce, for NIST's known-answer tests only: a nonce chosen by a caller is
 * how GCM gets broken, so nothing outside the tests passes one (it is not exported from index.ts).
 */
export function sealWithNonce(
  key: AesKey,
  fixedNonce: Uint8Array | undefined,
  plaintext: Uint8Array,
  aad: Uint8Array,
  header: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(header.length + NONCE_BYTES + plaintext.length + TAG_BYTES);
  out.set(header, 0);
  const nonce = out.subarray(header.length, header.length + NONCE_BYTES);
  if (fixedNonce) nonce.set(fixedNonce);
  else randomFillSync(nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  out.set(body, header.length + NONCE_BYTES);
  // GCM is a stream mode: final() yields nothing, but it must run before the tag exists.
  cipher.final();
  out.set(cipher.getAuthTag(), header.length + NONCE_BYTES + body.length);
  return out;
}

/** Decrypts the `nonce | ciphertext | tag` that starts at `offset`; any failure is DecryptionFailedError. */
export function open(key: AesKey, sealed: Uint8Array, offset: number, aad: Uint8Array): Buffer {
  if (sealed.length < offset + NONCE_BYTES + TAG_BYTES)
    throw new DecryptionFailedError('the ciphertext is truncated');
  const nonce = sealed.subarray(offset, offset + NONCE_BYTES);
  const body = sealed.subarray(offset + NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const head = decipher.update(body);
    const tail = decipher.final(); // throws when the tag does not match
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    throw new DecryptionFailedError();
  }
}
