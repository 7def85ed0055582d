/**
 * `@parley/audit-chain/browser`: the verifier with no Node module — Web Crypto SHA-256 and
 * Ed25519 over the same canonical bytes the Node side hashes and signs. For the web client's
 * Verify button; tests/integration/audit-chain-browser.test.ts runs it in Chromium and in Node
 * against the Node verifier. tests/integration/web-bundle.test.ts keeps Node out of it.
 */
export type { SignedCheckpoint } from '../checkpoint/checkpoint.ts';
export type { AuditRecord, StoredAuditRecord } from '../record/audit-record.ts';
export type { BundleCheck, BundleVerification, ProofBundle } from '../verify/bundle-checks.ts';
export { type ShownRecord, type ShownVerdict, verifyShownChain, verifyShownRecords } from './verify-shown.ts';
export {
  computeRecordHash,
  importPublicKey,
  recordLeafHash,
  verifyCheckpointSignature,
  verifyProofBundle,
} from './web-bundle-verifier.ts';
export { fromHex, leafHash, nodeHash, toHex } from './web-hashing.ts';
export { verifyConsistency, verifyInclusion } from './web-proofs.ts';
