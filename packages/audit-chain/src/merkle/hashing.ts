/**
 * RFC 6962 / RFC 9162 §2.1.1 hashing: SHA-256, leaves prefixed 0x00 and interior nodes 0x01, so a
 * leaf can never be passed off as a node (second-preimage resistance).
 */
import { createHash } from 'node:crypto';

export { isPowerOfTwo, splitPoint } from './power-of-two.ts';

export const HASH_SIZE = 32;

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function toHex(hash: Uint8Array): string {
  return Buffer.from(hash).toString('hex');
}

export function fromHex(hex: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new Error(`not a SHA-256 hash in lower-case hex: ${JSON.stringify(hex)}`);
  return Buffer.from(hex, 'hex');
}
