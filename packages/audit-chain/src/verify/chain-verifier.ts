/**
 * Full-chain verification: walks a tenant's records in sequence order and finds every form of
 * tampering the log can suffer:
 *  - edited: a record's recomputed hash differs from the stored one;
 *  - missing: a sequence number is skipped (a record was deleted);
 *  - broken-link: prevHash is not the previous record's hash (deleted, reordered or forged);
 *  - checkpoint-mismatch: the Merkle root at a signed checkpoint's size differs from the signed root;
 *  - truncated: a signed checkpoint covers more records than the log holds (the tail was cut);
 *  - bad-signature / unknown-key: a checkpoint was not signed by a trusted key;
 *  - unproved-prune: a record is marked pruned but no prune record later in the chain names it
 *    with its hash (the mark is outside the hash: set by hand, it must not excuse a record from
 *    being re-hashed). A marked record that still carries a body is re-hashed like any other.
 * Pure over an async iterable, so the service, the tests and the offline CLI share it.
 */
import type { KeyObject } from 'node:crypto';
import { type SignedCheckpoint, verifyCheckpointSignature } from '../checkpoint/checkpoint.ts';
import { toHex } from '../merkle/hashing.ts';
import { MerkleTree } from '../merkle/merkle-tree.ts';
import { isBodiless, pruneAuthorisations } from '../prune/prune-record.ts';
import {
  type AuditRecord,
  computeRecordHash,
  GENESIS_HASH,
  isPruned,
  recordLeafHash,
  type StoredAuditRecord,
} from '../record/audit-record.ts';

export type ChainProblemKind =
  | 'edited'
  | 'missing'
  | 'broken-link'
  | 'out-of-order'
  | 'foreign-record'
  | 'checkpoint-mismatch'
  | 'truncated'
  | 'bad-signature'
  | 'unknown-key'
  | 'unproved-prune';

export interface ChainProblem {
  kind: ChainProblemKind;
  sequence?: number;
  treeSize?: number;
  detail: string;
}

export interface ChainVerification {
  ok: boolean;
  tenant: string;
  records: number;
  pruned: number;
  treeSize: number;
  rootHash: string;
  checkpointsVerified: number;
  latestCheckpoint?: { treeSize: number; rootHash: string; issuedAt: string };
  problems: ChainProblem[];
  /** True when problems were cut at maxProblems. */
  truncatedReport: boolean;
}

export interface VerifyChainInput {
  tenant: string;
  /** In ascending sequence order. */
  records: AsyncIterable<StoredAuditRecord> | Iterable<StoredAuditRecord>;
  checkpoints: readonly SignedCheckpoint[];
  /** keyId -> public key: the keys the verifier trusts. */
  publicKeys: ReadonlyMap<string, KeyObject>;
  maxProblems?: number;
}

export async function verifyChain(input: VerifyChainInput): Promise<ChainVerification> {
  const maxProblems = input.maxProblems ?? 100;
  const problems: ChainProblem[] = [];
  let truncatedReport = false;
  const report = (problem: ChainProblem): void => {
    if (problems.length < maxProblems) problems.push(problem);
    else truncatedReport = true;
  };

  const checkpoints = [...input.checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  let verified = 0;
  for (const checkpoint of checkpoints) {
    const key = input.publicKeys.get(checkpoint.keyId);
    if (!key) {
      report({
        kind: 'unknown-key',
        treeSize: checkpoint.treeSize,
        detail: `checkpoint signed by unknown key ${checkpoint.keyId}`,
      });
    } else if (!verifyCheckpointSignature(checkpoint, key)) {
      report({
        kind: 'bad-signature',
        treeSize: checkpoint.treeSize,
        detail: 'checkpoint signature does not verify',
      });
    }
  }

  const tree = new MerkleTree();
  let expected = 0;
  let prevHash = GENESIS_HASH;
  let count = 0;
  let pruned = 0;
  let nextCheckpoint = 0;
  /** Stubs seen (sequence -> hash) that no prune record has accounted for yet. */
  const unproved = new Map<number, string>();

  const checkCheckpointsAtSize = (): void => {
    while (nextCheckpoint < checkpoints.length && (checkpoints[nextCheckpoint]?.treeSize ?? 0) <= tree.size) {
      const checkpoint = checkpoints[nextCheckpoint] as SignedCheckpoint;
      nextCheckpoint += 1;
      if (checkpoint.treeSize < 1) continue;
      const root = toHex(tree.root(checkpoint.treeSize));
      if (root !== checkpoint.rootHash) {
        report({
          kind: 'checkpoint-mismatch',
          treeSize: checkpoint.treeSize,
          detail: `the log's root at size ${checkpoint.treeSize} is ${root}, the signed checkpoint says ${checkpoint.rootHash}`,
        });
      } else {
        verified += 1;
      }
    }
  };

  for await (const record of input.records) {
    count += 1;
    if (record.tenant !== input.tenant) {
      report({
        kind: 'foreign-record',
        sequence: record.sequence,
        detail: `record of tenant ${record.tenant} in ${input.tenant}'s log`,
      });
    }
    if (record.sequence < expected) {
      report({
        kind: 'out-of-order',
        sequence: record.sequence,
        detail: `sequence ${record.sequence} after ${expected - 1}`,
      });
    } else if (record.sequence > expected) {
      report({
        kind: 'missing',
        sequence: expected,
        detail: `records ${expected}..${record.sequence - 1} are missing`,
      });
    }
    const marked = isPruned(record);
    if (marked) unproved.set(record.sequence, record.hash);
    if (marked && isBodiless(record)) {
      pruned += 1;
    } else {
      const recomputed = computeRecordHash(record as AuditRecord);
      if (recomputed !== record.hash) {
        report({
          kind: 'edited',
          sequence: record.sequence,
          detail: `content hashes to ${recomputed}, stored hash is ${record.hash}`,
        });
      } else {
        // Only an intact prune record vouches for the stubs before it.
        for (const [sequence, hash] of pruneAuthorisations(record as AuditRecord)) {
          if (unproved.get(sequence) === hash) unproved.delete(sequence);
        }
      }
    }
    if (record.prevHash !== prevHash) {
      report({
        kind: 'broken-link',
        sequence: record.sequence,
        detail: `prevHash ${record.prevHash} is not the previous record's hash ${prevHash}`,
      });
    }
    prevHash = record.hash;
    expected = Math.max(expected, record.sequence) + 1;
    tree.append(recordLeafHash(record.hash));
    checkCheckpointsAtSize();
  }

  for (const [sequence, hash] of unproved) {
    report({
      kind: 'unproved-prune',
      sequence,
      detail: `marked pruned, but no prune record in the chain names record ${sequence} with hash ${hash}`,
    });
  }

  for (const checkpoint of checkpoints.slice(nextCheckpoint)) {
    report({
      kind: 'truncated',
      treeSize: checkpoint.treeSize,
      detail: `a signed checkpoint covers ${checkpoint.treeSize} records; the log holds ${tree.size}`,
    });
  }

  const latest = checkpoints[checkpoints.length - 1];
  return {
    ok: problems.length === 0 && !truncatedReport,
    tenant: input.tenant,
    records: count,
    pruned,
    treeSize: tree.size,
    rootHash: toHex(tree.root()),
    checkpointsVerified: verified,
    ...(latest
      ? {
          latestCheckpoint: {
            treeSize: latest.treeSize,
            rootHash: latest.rootHash,
            issuedAt: latest.issuedAt,
          },
        }
      : {}),
    problems,
    truncatedReport,
  };
}
