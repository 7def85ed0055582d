/**
 * The proof-bundle checks, once, for every runtime: checkpoint signatures, each record's hash and
 * its inclusion proof against the signed root, pruned stubs vouched for by a proved prune record,
 * and consistency proofs. The hashing and signature primitives are injected: node:crypto for the
 * offline verifier (proof-bundle.ts), Web Crypto for the browser (browser/web-bundle-verifier.ts),
 * so both give the same answer in the same words. This file imports no Node module: it is in the
 * browser bundle.
 */
import type { SignedCheckpoint } from '../checkpoint/checkpoint.ts';
import { isBodiless, pruneAuthorisations } from '../prune/prune-authorisations.ts';
import type { AuditRecord, StoredAuditRecord } from '../record/audit-record.ts';

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

type MaybeAsync<T> = T | Promise<T>;

/** What a runtime supplies: `Key` is its public-key type (a KeyObject, a CryptoKey). */
export interface BundlePrimitives<Key> {
  importKey(publicKey: string): MaybeAsync<Key>;
  verifySignature(checkpoint: SignedCheckpoint, key: Key): MaybeAsync<boolean>;
  /** SHA-256 hex over the record's canonical hashed fields: what `hash` must be. */
  recordHash(record: AuditRecord): MaybeAsync<string>;
  /** The RFC 9162 leaf of a record hash (hex). */
  leafHash(recordHash: string): MaybeAsync<Uint8Array>;
  fromHex(hex: string): Uint8Array;
  verifyInclusion(
    leaf: Uint8Array,
    leafIndex: number,
    treeSize: number,
    path: readonly Uint8Array[],
    root: Uint8Array,
  ): MaybeAsync<boolean>;
  verifyConsistency(
    first: number,
    second: number,
    firstRoot: Uint8Array,
    secondRoot: Uint8Array,
    proof: readonly Uint8Array[],
  ): MaybeAsync<boolean>;
}

export interface BundleProofs<Key> {
  checks: BundleCheck[];
  /** The bundle's checkpoints whose signature held, by tree size. */
  goodCheckpoints: Map<number, SignedCheckpoint>;
  keys: ReadonlyMap<string, Key>;
  /** True when the keys came from the bundle itself (false too when its format is unknown). */
  trustedBundleKeys: boolean;
}

const isPruned = (record: StoredAuditRecord): boolean => (record as { pruned?: unknown }).pruned === true;

/**
 * Checks every proof in the bundle with `trustedKeys` (keyId -> key), or the bundle's own keys
 * (imported through the primitives) when the caller has none.
 */
export async function checkBundleProofs<Key>(
  bundle: ProofBundle,
  primitives: BundlePrimitives<Key>,
  trustedKeys?: ReadonlyMap<string, Key>,
): Promise<BundleProofs<Key>> {
  const p = primitives;
  const checks: BundleCheck[] = [];
  const check = (what: string, ok: boolean, detail?: string): boolean => {
    checks.push(detail ? { what, ok, detail } : { what, ok });
    return ok;
  };
  const goodCheckpoints = new Map<number, SignedCheckpoint>();
  if (bundle.format !== PROOF_BUNDLE_FORMAT) {
    check('format', false, `expected ${PROOF_BUNDLE_FORMAT}, got ${String(bundle.format)}`);
    return { checks, goodCheckpoints, keys: new Map(), trustedBundleKeys: false };
  }
  let keys = trustedKeys;
  if (!keys) {
    const own = new Map<string, Key>();
    for (const k of bundle.keys) own.set(k.keyId, await p.importKey(k.publicKey));
    keys = own;
  }

  // Checkpoints first: every other check leans on a checkpoint whose signature held.
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
    if (check(what, await p.verifySignature(checkpoint, key), 'Ed25519 signature')) {
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
    if (!stub && (await p.recordHash(item.record as AuditRecord)) !== item.record.hash) {
      check(what, false, 'the record does not hash to its stored hash: its content was altered');
      continue;
    }
    let ok = false;
    try {
      ok = await p.verifyInclusion(
        await p.leafHash(item.record.hash),
        item.record.sequence,
        item.treeSize,
        item.auditPath.map(p.fromHex),
        p.fromHex(checkpoint.rootHash),
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
      ok = await p.verifyConsistency(
        item.fromSize,
        item.toSize,
        p.fromHex(first.rootHash),
        p.fromHex(second.rootHash),
        item.proof.map(p.fromHex),
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
  return { checks, goodCheckpoints, keys, trustedBundleKeys: !trustedKeys };
}

/** The verdict: ok when there was something to check and every check held. */
export function bundleVerdict(checks: BundleCheck[], trustedBundleKeys: boolean): BundleVerification {
  return { ok: checks.length > 0 && checks.every((c) => c.ok), checks, trustedBundleKeys };
}
