/**
 * Signed checkpoints (a "signed tree head"): tenant, tree size, root and time, signed with
 * Ed25519 over the RFC 8785 canonical JSON of those fields. A tenant that keeps the checkpoints it
 * has seen can later prove that Parley never rewrote its history (consistency proofs) and that a
 * record is in the log (inclusion proofs), trusting only the public key.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { type CheckpointBody, checkpointText } from './checkpoint-text.ts';

export type { CheckpointBody } from './checkpoint-text.ts';

export interface SignedCheckpoint extends CheckpointBody {
  /** base64 Ed25519 signature over canonicalBytes(body). */
  signature: string;
}

export function logName(tenant: string): string {
  return `parley/audit/${tenant}`;
}

export function checkpointBytes(body: CheckpointBody): Buffer {
  return Buffer.from(checkpointText(body), 'utf8');
}

export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): SignedCheckpoint {
  const signature = sign(null, checkpointBytes(body), privateKey).toString('base64');
  return { ...body, signature };
}

/** True when `publicKey` signed exactly these fields. */
export function verifyCheckpointSignature(checkpoint: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointBytes(checkpoint), publicKey, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

/** A public key from PEM (SPKI) or base64 DER (SPKI), as the bundle and the key endpoint give it. */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  return createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
}
