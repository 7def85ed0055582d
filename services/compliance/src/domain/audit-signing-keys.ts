/**
 * The public keys that sign audit checkpoints and export receipts, as published: over HTTP
 * without any credential (they are public by nature, and a tenant must be able to get them
 * without Parley's service credential) and in each tenant's bucket beside its checkpoints.
 * Earlier keys stay listed, so checkpoints signed before a rotation still verify.
 */
import type { KeyObject } from 'node:crypto';

export interface SigningKeysDocument {
  /** The key id that signs new checkpoints. */
  current: string;
  keys: { keyId: string; algorithm: 'Ed25519'; publicKey: string; pem: string }[];
}

export function signingKeysDocument(
  current: string,
  keys: ReadonlyMap<string, KeyObject>,
): SigningKeysDocument {
  return {
    current,
    keys: [...keys].map(([keyId, key]) => ({
      keyId,
      algorithm: 'Ed25519' as const,
      publicKey: key.export({ format: 'der', type: 'spki' }).toString('base64'),
      pem: key.export({ format: 'pem', type: 'spki' }).toString(),
    })),
  };
}
