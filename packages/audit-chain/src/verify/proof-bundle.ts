/**
 * A proof bundle: everything needed to check records, checkpoints and the log's append-only
 * history with no server (format "parley-audit-proofs/v1"). The compliance service exports it
 * (GET /v1/audit/proofs); the offline verifier (verify-cli.ts) checks it: bundle-checks.ts's
 * checks with node:crypto's primitives, then the tenant's pinned checkpoints.
 */
import type { KeyObject } from 'node:crypto';
import {
  parsePublicKey,
  type SignedCheckpoint,
  verifyCheckpointSignature,
} from '../checkpoint/checkpoint.ts';
import { fromHex } from '../merkle/hashing.ts';
import { verifyConsistency, verifyInclusion } from '../merkle/verify-proofs.ts';
import { computeRecordHash, recordLeafHash } from '../record/audit-record.ts';
import {
  type BundlePrimitives,
  type BundleVerification,
  bundleVerdict,
  checkBundleProofs,
  PROOF_BUNDLE_FORMAT,
  type ProofBundle,
} from './bundle-checks.ts';
import { checkPinnedCheckpoints } from './pinned-checkpoints.ts';

export {
  type BundleCheck,
  type BundleVerification,
  PROOF_BUNDLE_FORMAT,
  type ProofBundle,
} from './bundle-checks.ts';

export const nodeBundlePrimitives: BundlePrimitives<KeyObject> = {
  importKey: parsePublicKey,
  verifySignature: verifyCheckpointSignature,
  recordHash: computeRecordHash,
  leafHash: recordLeafHash,
  fromHex,
  verifyInclusion,
  verifyConsistency,
};

/**
 * Checks every proof in the bundle. `pinned`: checkpoints the tenant saved earlier; the bundle
 * must prove that the log extends each one (see pinned-checkpoints.ts).
 */
export async function verifyProofBundle(
  bundle: ProofBundle,
  trustedKeys?: ReadonlyMap<string, KeyObject>,
  pinned: readonly SignedCheckpoint[] = [],
): Promise<BundleVerification> {
  const proofs = await checkBundleProofs(bundle, nodeBundlePrimitives, trustedKeys);
  if (bundle.format !== PROOF_BUNDLE_FORMAT) return bundleVerdict(proofs.checks, false);
  const checks = [
    ...proofs.checks,
    ...checkPinnedCheckpoints(bundle, pinned, proofs.keys, proofs.goodCheckpoints),
  ];
  return bundleVerdict(checks, proofs.trustedBundleKeys);
}
