/**
 * Checkpoints the tenant saved earlier (from its bucket, the published-checkpoints API or an old
 * bundle), pinned by the offline verifier: the log in the bundle must extend each of them. This
 * is what defeats a rewrite by someone who can write Parley's database: deleting the tail and
 * the checkpoints stored beside it leaves a log that verifies on its own, but not against a
 * checkpoint kept elsewhere. A pin is proved by an identical checkpoint in the bundle, by a
 * consistency proof from its size to a verified checkpoint, or by the whole log (`records`).
 */
import type { KeyObject } from 'node:crypto';
import { type SignedCheckpoint, verifyCheckpointSignature } from '../checkpoint/checkpoint.ts';
import { fromHex, toHex } from '../merkle/hashing.ts';
import { MerkleTree } from '../merkle/merkle-tree.ts';
import { verifyConsistency } from '../merkle/verify-proofs.ts';
import { recordLeafHash } from '../record/audit-record.ts';
import type { BundleCheck, ProofBundle } from './bundle-checks.ts';

export function checkPinnedCheckpoints(
  bundle: ProofBundle,
  pinned: readonly SignedCheckpoint[],
  keys: ReadonlyMap<string, KeyObject>,
  verified: ReadonlyMap<number, SignedCheckpoint>,
): BundleCheck[] {
  return pinned.map((pin) => {
    const what = `pinned checkpoint size ${pin.treeSize} (${pin.issuedAt})`;
    const fail = (detail: string): BundleCheck => ({ what, ok: false, detail });
    const key = keys.get(pin.keyId);
    if (!key) return fail(`signed by untrusted key ${pin.keyId}`);
    if (pin.log !== bundle.log) return fail(`belongs to log ${pin.log}, not ${bundle.log}`);
    if (!verifyCheckpointSignature(pin, key)) return fail('its signature does not verify');

    const same = verified.get(pin.treeSize);
    if (same) {
      return same.rootHash === pin.rootHash
        ? { what, ok: true, detail: 'the bundle holds a checkpoint of this size with the same root' }
        : fail(`the bundle's checkpoint of this size has root ${same.rootHash}: the history was rewritten`);
    }
    for (const item of bundle.consistency) {
      const later = verified.get(item.toSize);
      if (item.fromSize !== pin.treeSize || !later) continue;
      let ok = false;
      try {
        ok = verifyConsistency(
          pin.treeSize,
          later.treeSize,
          fromHex(pin.rootHash),
          fromHex(later.rootHash),
          item.proof.map(fromHex),
        );
      } catch {
        ok = false;
      }
      return ok
        ? { what, ok: true, detail: `consistency proof to the checkpoint of size ${later.treeSize}` }
        : fail(`the log at size ${later.treeSize} does not extend it: the history was rewritten`);
    }
    if (Array.isArray(bundle.records)) {
      const tree = new MerkleTree();
      for (const record of bundle.records) {
        if (tree.size >= pin.treeSize) break;
        tree.append(recordLeafHash(record.hash));
      }
      if (tree.size < pin.treeSize) {
        return fail(
          `the log holds ${tree.size} records, fewer than this checkpoint covers: its tail was removed`,
        );
      }
      const root = toHex(tree.root(pin.treeSize));
      return root === pin.rootHash
        ? { what, ok: true, detail: 'the whole log has this root at this size' }
        : fail(`the log's root at this size is ${root}: the history was rewritten`);
    }
    const newest = Math.max(0, ...verified.keys());
    return newest < pin.treeSize
      ? fail(
          `the bundle's newest checkpoint covers ${newest} records: the log was cut back below what you saved`,
        )
      : fail(`the bundle proves nothing about it: ask for a bundle with since=${pin.treeSize} or full=true`);
  });
}
