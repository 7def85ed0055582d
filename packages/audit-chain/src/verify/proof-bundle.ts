/**
 * A proof bundle: everything needed to check records, checkpoints and the log's append-only
 * history with no server (format "parley-audit-proofs/v1"). The compliance service exports it
 * (GET /v1/audit/proofs); the offline verifier (verify-cli.ts) checks it.
 */
import type { KeyObject } from 'node:crypto';
import {
  parsePublicKey,
  type SignedCheckpoint,
  verifyCheckpointSignature,
} from '../checkpoint/checkpoint.ts';
import { fromHex } from '../merkle/hashing.ts';
import { verifyConsistency, verifyInclusion } from '../merkle/verify-proofs.ts';
import { isBodiless, pruneAuthorisations } from '../prune/prune-record.ts';
import {
  type AuditRecord,
  computeRecordHash,
  isPruned,
  recordLeafHash,
  type StoredAuditRecord,
} from '../record/audit-record.ts';
import { checkPinnedCheckpoints } from './pinned-checkpoints.ts';

export const PROOF_BUNDLE_FORMAT = 'parley-audit-proofs/v1';

export interface ProofBundle {
  format: typeof PROOF_BUNDLE_FORMAT;
  tenant: string;
  log: string;
  /** Keys as the service publishes them; a careful verifier passes its own trusted key instead. */
  keys: { keyId: string; publicKey: string }[];
  checkpoints: SignedCheckpoint[];
  inclusion: { record: StoredAuditRecord; treeSize: number; auditPath: string[] }[];
  consistency: { fromSize: number; toSize: number; proof: string[] }[];
  /** Optional: the whole log (an export), for a full-chain check with verifyChain. */
  records?: StoredAuditRecord[];
}

export interface BundleCheck {
  what: string;
  ok: boolean;
  detail?: string;
}

export interface BundleVerification {
  ok: boolean;
  checks: BundleCheck[];
  /** True when the keys came from the bundle itself rather than from the caller. */
  trustedBundleKeys: boolean;
}

/**
 * Checks every proof in the bundle. `pinned`: checkpoints the tenant saved earlier; the bundle
 * must prove that the log extends each one (see pinned-checkpoints.ts).
 */
export function verifyProofBundle(
  bundle: ProofBundle,
  trustedKeys?: ReadonlyMap<string, KeyObject>,
  pinned: readonly SignedCheckpoint[] = [],
): BundleVerification {
  const checks: BundleCheck[] = [];
  const check = (what: string, ok: boolean, detail?: string): boolean => {
    checks.push(detail ? { what, ok, detail } : { what, ok });
    return ok;
  };
  if (bundle.format !== PROOF_BUNDLE_FORMAT) {
    check('format', false, `expected ${PROOF_BUNDLE_FORMAT}, got ${String(bundle.format)}`);
    return { ok: false, checks, trustedBundleKeys: false };
  }
  const keys = trustedKeys ?? new Map(bundle.keys.map((k) => [k.keyId, parsePublicKey(k.publicKey)]));

  // Checkpoints first: every other check leans on a checkpoint whose signature held.
  const goodCheckpoints = new Map<number, SignedCheckpoint>();
  for (const checkpoint of bundle.checkpoints) {
    const what = `checkpoint size ${checkpoint.treeSize}`;
    const key = keys.get(checkpoint.keyId);
    if (!key) {
      check(what, false, `signed by unknown key ${checkpoint.keyId}`);
      continue;
    }
    if (checkpoint.log !== bundle.log) {
      check(what, false, `belongs to log ${checkpoint.log}, not ${bundle.log}`);
      continue;
    }
    if (check(what, verifyCheckpointSignature(checkpoint, key), 'Ed25519 signature')) {
      goodCheckpoints.set(checkpoint.treeSize, checkpoint);
    }
  }

  const stubs: StoredAuditRecord[] = [];
  const authorised = new Map<number, string>();
  for (const item of bundle.inclusion) {
    const what = `record ${item.record.sequence} (${item.record.id}) in tree of size ${item.treeSize}`;
    const checkpoint = goodCheckpoints.get(item.treeSize);
    if (!checkpoint) {
      check(what, false, 'no verified checkpoint of that size');
      continue;
    }
    if (item.record.tenant !== bundle.tenant) {
      check(what, false, `record of tenant ${item.record.tenant}`);
      continue;
    }
    const stub = isPruned(item.record) && isBodiless(item.record);
    if (!stub && computeRecordHash(item.record as AuditRecord) !== item.record.hash) {
      check(what, false, 'the record does not hash to its stored hash: its content was altered');
      continue;
    }
    let ok = false;
    try {
      ok = verifyInclusion(
        recordLeafHash(item.record.hash),
        item.record.sequence,
        item.treeSize,
        item.auditPath.map(fromHex),
        fromHex(checkpoint.rootHash),
      );
    } catch (error) {
      check(what, false, (error as Error).message);
      continue;
    }
    check(
      what,
      ok,
      ok ? 'inclusion proof (RFC 9162 §2.1.3)' : 'the inclusion proof does not lead to the signed root',
    );
    if (!ok) continue;
    if (isPruned(item.record)) stubs.push(item.record);
    else for (const [sequence, hash] of pruneAuthorisations(item.record)) authorised.set(sequence, hash);
  }

  // A pruned record is proved by its leaf and by a proved prune record that names that leaf.
  for (const record of stubs) {
    const named = authorised.get(record.sequence);
    check(
      `record ${record.sequence} pruned by retention`,
      named === record.hash,
      named === record.hash
        ? 'a proved prune record names it with this hash'
        : 'marked pruned, but no proved prune record in the bundle names it with this hash',
    );
  }

  for (const item of bundle.consistency) {
    const what = `consistency ${item.fromSize} -> ${item.toSize}`;
    const first = goodCheckpoints.get(item.fromSize);
    const second = goodCheckpoints.get(item.toSize);
    if (!first || !second) {
      check(what, false, 'both sizes need a verified checkpoint');
      continue;
    }
    let ok = false;
    try {
      ok = verifyConsistency(
        item.fromSize,
        item.toSize,
        fromHex(first.rootHash),
        fromHex(second.rootHash),
        item.proof.map(fromHex),
      );
    } catch (error) {
      check(what, false, (error as Error).message);
      continue;
    }
    check(
      what,
      ok,
      ok ? 'consistency proof (RFC 9162 §2.1.4)' : 'the later tree does not extend the earlier one',
    );
  }

  checks.push(...checkPinnedCheckpoints(bundle, pinned, keys, goodCheckpoints));

  return { ok: checks.length > 0 && checks.every((c) => c.ok), checks, trustedBundleKeys: !trustedKeys };
}
