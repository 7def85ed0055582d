/**
 * Local envelope encryption (kind 3 of the ciphertext format): one data key, fetched once from
 * the keyring or the crypto service, seals many payloads in process. Each envelope carries the
 * wrapped data key, so it can be opened later by unwrapping that key (a cache makes that one
 * call per data key, not per payload) and rewrapped to a newer tenant key version without
 * touching the payload.
 *
 * The payload's AAD binds tenant and purpose but deliberately not the wrapped key's bytes: the
 * wrapped key authenticates itself, a wrong one yields another data key and fails the tag, and
 * leaving it out is what lets rewrap swap in the same data key wrapped under a newer version.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { KEY_BYTES, open, seal } from './aes-gcm.ts';
import { contextAad, FORMAT_VERSION, KIND_ENVELOPE } from './ciphertext-format.ts';
import { DecryptionFailedError } from './errors.ts';

const ENVELOPE_TAG = Buffer.from([FORMAT_VERSION, KIND_ENVELOPE]);

function envelopeHeader(wrappedDataKey: Uint8Array): Buffer {
  if (wrappedDataKey.length > 0xffff) throw new RangeError('wrapped data key too long');
  const header = Buffer.allocUnsafe(4 + wrappedDataKey.length);
  header[0] = FORMAT_VERSION;
  header[1] = KIND_ENVELOPE;
  header.writeUInt16BE(wrappedDataKey.length, 2);
  header.set(wrappedDataKey, 4);
  return header;
}

export interface ParsedEnvelope {
  wrappedDataKey: Buffer;
  bodyOffset: number;
}

export function parseEnvelope(blob: Uint8Array): ParsedEnvelope {
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  if (buf.length < 4 || buf[0] !== FORMAT_VERSION || buf[1] !== KIND_ENVELOPE) {
    throw new DecryptionFailedError('not an envelope ciphertext');
  }
  const length = buf.readUInt16BE(2);
  if (buf.length < 4 + length) throw new DecryptionFailedError('the ciphertext is truncated');
  return { wrappedDataKey: buf.subarray(4, 4 + length), bodyOffset: 4 + length };
}

/** Returns the envelope with its wrapped data key replaced (rewrap); the payload is untouched. */
export function replaceWrappedDataKey(blob: Uint8Array, newWrappedDataKey: Uint8Array): Buffer {
  const { bodyOffset } = parseEnvelope(blob);
  return Buffer.concat([envelopeHeader(newWrappedDataKey), blob.subarray(bodyOffset)]);
}

/**
 * Seals payloads for one tenant and purpose under one data key. The AAD prefix is computed once,
 * which keeps the per-payload cost close to a bare AES-GCM call (see the crypto benchmark).
 */
export class EnvelopeSealer {
  readonly tenant: string;
  readonly purpose: string;
  private readonly key: KeyObject;
  private readonly header: Buffer;
  private readonly aadPrefix: Buffer;

  constructor(fields: { tenant: string; purpose: string; dataKey: Uint8Array; wrappedDataKey: Uint8Array }) {
    if (fields.dataKey.length !== KEY_BYTES) throw new RangeError('a data key is 32 bytes');
    this.tenant = fields.tenant;
    this.purpose = fields.purpose;
    this.key = createSecretKey(fields.dataKey);
    this.header = envelopeHeader(fields.wrappedDataKey);
    this.aadPrefix = contextAad(ENVELOPE_TAG, fields.tenant, fields.purpose);
  }

  seal(plaintext: Uint8Array, aad?: Uint8Array): Buffer {
    const fullAad = aad && aad.length > 0 ? Buffer.concat([this.aadPrefix, aad]) : this.aadPrefix;
    return seal(this.key, plaintext, fullAad, this.header);
  }
}

// AAD prefixes per (tenant, purpose), so opening many envelopes does not rebuild the same bytes.
const aadPrefixes = new Map<string, Buffer>();
function aadPrefix(tenant: string, purpose: string): Buffer {
  const slot = `${tenant}\u0000${purpose}`;
  let prefix = aadPrefixes.get(slot);
  if (!prefix) {
    if (aadPrefixes.size >= 4096) aadPrefixes.clear();
    prefix = contextAad(ENVELOPE_TAG, tenant, purpose);
    aadPrefixes.set(slot, prefix);
  }
  return prefix;
}

/** Opens an envelope with its (already unwrapped) data key; pass `parsed` when already at hand. */
export function openEnvelope(
  dataKey: Uint8Array | KeyObject,
  blob: Uint8Array,
  tenant: string,
  purpose: string,
  aad?: Uint8Array,
  parsed: ParsedEnvelope = parseEnvelope(blob),
): Buffer {
  const { bodyOffset } = parsed;
  const key = dataKey instanceof Uint8Array ? Buffer.from(dataKey) : dataKey;
  const prefix = aadPrefix(tenant, purpose);
  return open(key, blob, bodyOffset, aad && aad.length > 0 ? Buffer.concat([prefix, aad]) : prefix);
}
