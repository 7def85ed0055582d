/**
 * verify/proof-bundle.ts's verifyProofBundle, in Web Crypto: checkpoint signatures (Ed25519 over
 * checkpoint-text.ts's bytes), each record's hash and its inclusion proof against the signed root,
 * pruned stubs vouched for by a proved prune record, and consistency proofs, with the same checks
 * and the same wording, so a browser and the offline verifier give the same answer for a bundle.
 * Pinned checkpoints (a tenant's own saved ones) are the offline verifier's job.
 */

import type { SignedCheckpoint } from '../checkpoint/checkpoint.ts';
import { checkpointText } from '../checkpoint/checkpoint-text.ts';
import { isBodiless, pruneAuthorisations } from '../prune/prune-authorisations.ts';
import type { AuditRecord, StoredAuditRecord } from '../record/audit-record.ts';
import { canonicalRecordText } from '../record/record-body.ts';
import type { BundleCheck, BundleVerification, ProofBundle } from '../verify/proof-bundle.ts';
import { fromBase64, fromHex, leafHash, sha256HexOfText } from './web-hashing.ts';
import { verifyConsistency, verifyInclusion } from './web-proofs.ts';

/** Web Crypto's key type, named without the DOM library (the package builds against Node's types). */
type VerifyKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const PROOF_BUNDLE_FORMAT: ProofBundle['format'] = 'parley-audit-proofs/v1';

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

const isPruned = (record: StoredAuditRecord): boolean => (record as { pruned?: unknown }).pruned === true;

/**
 * Checks every proof in the bundle. `trustedKeys` (keyId -> public key text): keys the caller
 * got elsewhere; without them the bundle's own keys are used, and the answer says so.
 */
export async function verifyProofBundle(
  bundle: ProofBundle,
  trustedKeys?: ReadonlyMap<string, string>,
): Promise<BundleVerification> {
  const checks: BundleCheck[] = [];
  const check = (what: string, ok: boolean, detail?: string): boolean => {
    checks.push(detail ? { what, ok, detail } : { what, ok });
    return ok;
  };
  if (bundle.format !== PROOF_BUNDLE_FORMAT) {
    check('format', false, `expected ${PROOF_BUNDLE_FORMAT}, got ${String(bundle.format)}`);
    return { ok: false, checks, trustedBundleKeys: false };
  }
  const keyTexts = trustedKeys ?? new Map(bundle.keys.map((k) => [k.keyId, k.publicKey]));
  const keys = new Map<string, VerifyKey>();
  for (const [keyId, text] of keyTexts) keys.set(keyId, await importPublicKey(text));

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
    if (check(what, await verifyCheckpointSignature(checkpoint, key), 'Ed25519 signature')) {
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
    if (!stub && (await computeRecordHash(item.record as AuditRecord)) !== item.record.hash) {
      check(what, false, 'the record does not hash to its stored hash: its content was altered');
      continue;
    }
    let ok = false;
    try {
      ok = await verifyInclusion(
        await recordLeafHash(item.record.hash),
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
      ok = await verifyConsistency(
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

  return { ok: checks.length > 0 && checks.every((c) => c.ok), checks, trustedBundleKeys: !trustedKeys };
}
