/**
 * What the web client's Verify button checks for the records on screen: each shown record hashes
 * to its hash and links to the record before it (when that one is shown too), and a proof bundle
 * of exactly those records holds — every checkpoint signed by the published key, every shown
 * record included in a signed tree with the very hash shown. The first failure names a record.
 */
import type { AuditRecord } from '../record/audit-record.ts';
import type { BundleVerification, ProofBundle } from '../verify/bundle-checks.ts';
import { computeRecordHash, verifyProofBundle } from './web-bundle-verifier.ts';

export interface ShownRecord {
  sequence: number;
  hash: string;
  prevHash: string;
  pruned?: boolean;
  [field: string]: unknown;
}

export type ShownVerdict =
  | { ok: true; checked: number; proved: number; treeSizes: number[]; keyIds: string[]; bundleKeys: boolean }
  | { ok: false; sequence?: number; reason: string };

const RECORD_IN_CHECK = /^record (\d+)/;

/** The chain among the shown records alone (no proofs). */
export async function verifyShownChain(records: readonly ShownRecord[]): Promise<ShownVerdict> {
  const ordered = [...records].sort((a, b) => a.sequence - b.sequence);
  for (const [index, record] of ordered.entries()) {
    const before = ordered[index - 1];
    if (before && before.sequence === record.sequence - 1 && record.prevHash !== before.hash) {
      return { ok: false, sequence: record.sequence, reason: 'does not link to the record before it' };
    }
    if (record.pruned) continue;
    let hash = '';
    try {
      hash = await computeRecordHash(record as unknown as AuditRecord);
    } catch {
      // not JSON: cannot hash to anything
    }
    if (hash !== record.hash) {
      return { ok: false, sequence: record.sequence, reason: 'its content does not match its hash' };
    }
  }
  return { ok: true, checked: ordered.length, proved: 0, treeSizes: [], keyIds: [], bundleKeys: false };
}

/**
 * The chain, then the proofs. `trustedKeys`: the published keys (keyId -> key) when the caller
 * fetched them apart from the bundle; else the bundle's own keys are used (and `bundleKeys` says so).
 */
export async function verifyShownRecords(
  records: readonly ShownRecord[],
  bundle: ProofBundle,
  trustedKeys?: ReadonlyMap<string, string>,
): Promise<ShownVerdict> {
  const chain = await verifyShownChain(records);
  if (!chain.ok) return chain;
  let result: BundleVerification;
  try {
    result = await verifyProofBundle(bundle, trustedKeys);
  } catch (error) {
    return { ok: false, reason: `the proofs could not be checked: ${(error as Error).message}` };
  }
  const failed = result.checks.find((c) => !c.ok);
  if (failed) {
    const sequence = Number(RECORD_IN_CHECK.exec(failed.what)?.[1] ?? Number.NaN);
    const reason = `${failed.what}: ${failed.detail ?? 'failed'}`;
    return Number.isInteger(sequence) ? { ok: false, sequence, reason } : { ok: false, reason };
  }
  const proved = new Map(bundle.inclusion.map((item) => [item.record.sequence, item.record.hash]));
  for (const record of records) {
    if (proved.get(record.sequence) !== record.hash) {
      return {
        ok: false,
        sequence: record.sequence,
        reason: 'the log proves a different record (or none) at this place',
      };
    }
  }
  return {
    ok: true,
    checked: records.length,
    proved: proved.size,
    treeSizes: [...new Set(bundle.checkpoints.map((c) => c.treeSize))].sort((a, b) => a - b),
    keyIds: [...new Set(bundle.checkpoints.map((c) => c.keyId))],
    bundleKeys: result.trustedBundleKeys,
  };
}
