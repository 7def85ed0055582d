/**
 * The proof-bundle verification in Web Crypto: verify/bundle-checks.ts's checks (the same as the
 * offline verifier's, in the same words) with Web Crypto's primitives, so a browser and the
 * offline verifier give the same answer for a bundle. Pinned checkpoints (a tenant's own saved
 * ones) are the offline verifier's job.
 */

import type { SignedCheckpoint } from '../checkpoint/checkpoint.ts';
import { checkpointText } from '../checkpoint/checkpoint-text.ts';
import type { AuditRecord } from '../record/audit-record.ts';
import { canonicalRecordText } from '../record/record-body.ts';
import {
  type BundlePrimitives,
  type BundleVerification,
  bundleVerdict,
  checkBundleProofs,
  type ProofBundle,
} from '../verify/bundle-checks.ts';
import { fromBase64, fromHex, leafHash, sha256HexOfText } from './web-hashing.ts';
import { verifyConsistency, verifyInclusion } from './web-proofs.ts';

/** Web Crypto's key type, named without the DOM library (the package builds against Node's types). */
type VerifyKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** A public key as the bundle and the key endpoint give it (PEM or base64 DER, SPKI), for Web Crypto. */
export function importPublicKey(text: string): Promise<VerifyKey> {
  const base64 = text.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  return crypto.subtle.importKey(
    'spki',
    fromBase64(base64) as Uint8Array<ArrayBuffer>,
    { name: 'Ed25519' },
    false,
    ['verify'],
  );
}

export async function verifyCheckpointSignature(
  checkpoint: SignedCheckpoint,
  key: VerifyKey,
): Promise<boolean> {
  try {
    return await crypto.subtle.verify(
      { name: 'Ed25519' },
      key,
      fromBase64(checkpoint.signature) as Uint8Array<ArrayBuffer>,
      new TextEncoder().encode(checkpointText(checkpoint)),
    );
  } catch {
    return false;
  }
}

/** SHA-256 hex over the record's canonical hashed fields: what `hash` must be. */
export function computeRecordHash(record: AuditRecord): Promise<string> {
  return sha256HexOfText(canonicalRecordText(record));
}

export async function recordLeafHash(hash: string): Promise<Uint8Array> {
  return leafHash(fromHex(hash));
}

const webBundlePrimitives: BundlePrimitives<VerifyKey> = {
  importKey: importPublicKey,
  verifySignature: verifyCheckpointSignature,
  recordHash: computeRecordHash,
  leafHash: recordLeafHash,
  fromHex,
  verifyInclusion,
  verifyConsistency,
};

/**
 * Checks every proof in the bundle. `trustedKeys` (keyId -> public key text): keys the caller
 * got elsewhere; without them the bundle's own keys are used, and the answer says so.
 */
export async function verifyProofBundle(
  bundle: ProofBundle,
  trustedKeys?: ReadonlyMap<string, string>,
): Promise<BundleVerification> {
  let keys: Map<string, VerifyKey> | undefined;
  if (trustedKeys) {
    keys = new Map();
    for (const [keyId, text] of trustedKeys) keys.set(keyId, await importPublicKey(text));
  }
  const proofs = await checkBundleProofs(bundle, webBundlePrimitives, keys);
  return bundleVerdict(proofs.checks, proofs.trustedBundleKeys);
}
