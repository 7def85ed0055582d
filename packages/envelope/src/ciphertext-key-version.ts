/**
 * Which key and version a stored ciphertext needs, read from its header without any key: what
 * the background rewrap checks to decide whether a ciphertext is below the primary version.
 * Kinds 1 and 2 name them directly; an envelope (kind 3) names them in its wrapped data key.
 */
import { decodeKeyedHeader, KIND_DATA_KEY, KIND_ENVELOPE, KIND_SEALED, kindOf } from './ciphertext-format.ts';
import { parseEnvelope } from './envelope.ts';
import { DecryptionFailedError } from './errors.ts';

export interface CiphertextKeyVersion {
  kind: number;
  keyName: string;
  version: number;
}

export function ciphertextKeyVersion(blob: Uint8Array): CiphertextKeyVersion {
  const kind = kindOf(blob);
  if (kind === KIND_ENVELOPE) {
    const inner = decodeKeyedHeader(parseEnvelope(blob).wrappedDataKey, KIND_DATA_KEY);
    return { kind, keyName: inner.keyName, version: inner.version };
  }
  if (kind !== KIND_SEALED && kind !== KIND_DATA_KEY)
    throw new DecryptionFailedError('unknown ciphertext kind');
  const header = decodeKeyedHeader(blob, kind);
  return { kind, keyName: header.keyName, version: header.version };
}
