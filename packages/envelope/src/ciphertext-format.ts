/**
 * The self-describing ciphertext format (documented in ../README.md#ciphertext-format). Every
 * blob starts with a format version and a kind, so a reader knows what it holds and which key
 * version opens it, and the format itself can change later without guessing.
 *
 *   kind 1 SEALED     [01][01][len][keyName][u32 version] nonce(12) ciphertext tag(16)
 *   kind 2 DATA_KEY   [01][02][len][keyName][u32 version] nonce(12) wrapped key(32) tag(16)
 *   kind 3 ENVELOPE   [01][03][u16 len][wrapped data key (kind 2)] nonce(12) ciphertext tag(16)
 *
 * The additional authenticated data binds the header, the tenant and the purpose (and the
 * caller's own AAD), so moving a ciphertext to another tenant, purpose, key or version fails.
 */
import { DecryptionFailedError } from './errors.ts';

export const FORMAT_VERSION = 1;
export const KIND_SEALED = 1;
export const KIND_DATA_KEY = 2;
export const KIND_ENVELOPE = 3;
export type KeyedKind = typeof KIND_SEALED | typeof KIND_DATA_KEY;

const DOMAIN = Buffer.from('parley.keyring.v1', 'ascii');

export interface KeyedHeader {
  kind: KeyedKind;
  keyName: string;
  version: number;
  /** Where the nonce starts. */
  bodyOffset: number;
  header: Buffer;
}

export function encodeKeyedHeader(kind: KeyedKind, keyName: string, version: number): Buffer {
  const name = Buffer.from(keyName, 'utf8');
  if (name.length < 1 || name.length > 255) throw new RangeError('key name must be 1..255 bytes');
  const header = Buffer.allocUnsafe(3 + name.length + 4);
  header[0] = FORMAT_VERSION;
  header[1] = kind;
  header[2] = name.length;
  name.copy(header, 3);
  header.writeUInt32BE(version, 3 + name.length);
  return header;
}

/** Reads a kind 1 or 2 header; anything that is not one is a decryption failure, not a crash. */
export function decodeKeyedHeader(blob: Uint8Array, expectedKind: KeyedKind): KeyedHeader {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  if (buf.length < 3 || buf[0] !== FORMAT_VERSION)
    throw new DecryptionFailedError('unknown ciphertext format');
  if (buf[1] !== expectedKind) throw new DecryptionFailedError('the ciphertext is of another kind');
  const nameLength = buf[2] ?? 0;
  const bodyOffset = 3 + nameLength + 4;
  if (nameLength === 0 || buf.length < bodyOffset)
    throw new DecryptionFailedError('the ciphertext is truncated');
  return {
    kind: expectedKind,
    keyName: buf.toString('utf8', 3, 3 + nameLength),
    version: buf.readUInt32BE(3 + nameLength),
    bodyOffset,
    header: buf.subarray(0, bodyOffset),
  };
}

/** Which kind a blob is, for callers that accept more than one (rewrap). */
export function kindOf(blob: Uint8Array): number {
  if (blob.length < 2 || blob[0] !== FORMAT_VERSION)
    throw new DecryptionFailedError('unknown ciphertext format');
  return blob[1] ?? 0;
}

function lengthPrefixed(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 255) throw new RangeError('context value too long');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** AAD = domain | header | tenant | purpose | caller AAD; length prefixes keep the parts unambiguous. */
export function contextAad(
  header: Uint8Array,
  tenant: string,
  purpose: string,
  callerAad?: Uint8Array,
): Buffer {
  const parts = [DOMAIN, header, lengthPrefixed(tenant), lengthPrefixed(purpose)];
  if (callerAad && callerAad.length > 0) parts.push(callerAad);
  return Buffer.concat(parts);
}
