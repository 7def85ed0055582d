/**
 * Proofs over one tenant's log (RFC 9162's): a record's inclusion in a signed checkpoint, the
 * consistency of two signed checkpoints, and the bundle of both an offline verifier checks. Each
 * is computed from the in-memory tree only after checking that the stored log still has the
 * signed roots: a proof of a tampered log is refused, never produced.
 */
import { AuditNotFoundError } from '../audit-errors.ts';
import type { SignedCheckpoint } from '../checkpoint/checkpoint.ts';
import type { CheckpointSigner } from '../checkpoint/checkpoint-signer.ts';
import type { SigningKey } from '../checkpoint/signing-key.ts';
import { toHex } from '../merkle/hashing.ts';
import type { LogTree } from '../merkle/log-tree.ts';
import { isPruned, recordLeafHash, type StoredAuditRecord } from '../record/audit-record.ts';
import type { RecordReads } from '../store/record-reads.ts';
import { PROOF_BUNDLE_FORMAT, type ProofBundle } from '../verify/proof-bundle.ts';

export interface InclusionProof {
  record: StoredAuditRecord;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  checkpoint: SignedCheckpoint;
}

export interface ConsistencyProof {
  first: SignedCheckpoint;
  second: SignedCheckpoint;
  proof: string[];
}

export interface LogProofsDeps {
  tenant: string;
  log: string;
  tree: LogTree;
  checkpoints: CheckpointSigner;
  records: RecordReads;
  signingKey?: SigningKey;
}

export class LogProofs {
  readonly #d: LogProofsDeps;

  constructor(deps: LogProofsDeps) {
    this.#d = deps;
  }

  /**
   * An inclusion proof for a record against a signed checkpoint: the given size, else the
   * latest checkpoint that covers it (signing one now if none does yet).
   */
  async inclusion(sequence: number, treeSize?: number): Promise<InclusionProof> {
    const { tree } = this.#d;
    const record = await this.#d.records.bySequence(sequence);
    if (!record) throw new AuditNotFoundError(`no audit record ${sequence}`);
    const checkpoint = await this.#d.checkpoints.covering(sequence + 1, treeSize);
    await tree.sync();
    tree.assertMatches(checkpoint);
    return {
      record,
      leafIndex: sequence,
      treeSize: checkpoint.treeSize,
      leafHash: toHex(recordLeafHash(record.hash)),
      auditPath: tree.tree.inclusionProof(sequence, checkpoint.treeSize).map(toHex),
      checkpoint,
    };
  }

  /** A consistency proof between two signed checkpoints (the second defaults to the latest). */
  async consistency(fromSize: number, toSize?: number): Promise<ConsistencyProof> {
    const { tree, checkpoints } = this.#d;
    const first = await checkpoints.get(fromSize);
    if (!first) throw new AuditNotFoundError(`no checkpoint of size ${fromSize}`);
    const second = toSize === undefined ? await checkpoints.latest() : await checkpoints.get(toSize);
    if (!second) throw new AuditNotFoundError(`no checkpoint of size ${toSize}`);
    if (second.treeSize < first.treeSize)
      throw new AuditNotFoundError('the second checkpoint must not be smaller than the first');
    await tree.sync();
    tree.assertMatches(first);
    tree.assertMatches(second);
    return { first, second, proof: tree.tree.consistencyProof(first.treeSize, second.treeSize).map(toHex) };
  }

  /** The offline verifier's input: proofs for these records and the history since `sinceSize`. */
  async bundle(sequences: number[], sinceSize?: number): Promise<ProofBundle> {
    const key = this.#d.signingKey;
    const inclusion: ProofBundle['inclusion'] = [];
    const checkpoints = new Map<number, SignedCheckpoint>();
    // A pruned record travels with the prune record that vouches for it.
    const queue = [...new Set(sequences)];
    for (let i = 0; i < queue.length; i += 1) {
      const proof = await this.inclusion(queue[i] as number);
      checkpoints.set(proof.checkpoint.treeSize, proof.checkpoint);
      inclusion.push({ record: proof.record, treeSize: proof.treeSize, auditPath: proof.auditPath });
      const by = isPruned(proof.record) ? proof.record.prunedBy : undefined;
      if (by !== undefined && !queue.includes(by)) queue.push(by);
    }
    const consistency: ProofBundle['consistency'] = [];
    if (sinceSize !== undefined) {
      const proof = await this.consistency(sinceSize);
      checkpoints.set(proof.first.treeSize, proof.first);
      checkpoints.set(proof.second.treeSize, proof.second);
      consistency.push({ fromSize: proof.first.treeSize, toSize: proof.second.treeSize, proof: proof.proof });
    }
    return {
      format: PROOF_BUNDLE_FORMAT,
      tenant: this.#d.tenant,
      log: this.#d.log,
      keys: key ? [{ keyId: key.keyId, publicKey: key.publicKeyDer }] : [],
      checkpoints: [...checkpoints.values()].sort((a, b) => a.treeSize - b.treeSize),
      inclusion,
      consistency,
    };
  }
}
