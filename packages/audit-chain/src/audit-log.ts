/**
 * One tenant's audit log: the facade over its jobs, each in a file of its own:
 *
 * - append (append/chain-appender.ts, append/chain-head.ts): the hash chain, idempotent per
 *   record id, safe with many writers at once;
 * - the Merkle tree kept in step with the store (merkle/log-tree.ts);
 * - checkpoints (checkpoint/checkpoint-signer.ts): signed, published first, never over a log
 *   that no longer extends the last one;
 * - proofs (proof/log-proofs.ts): inclusion, consistency, the offline bundle;
 * - verification (verify/stored-log-verification.ts): the whole stored log re-checked;
 * - reads (store/record-reads.ts).
 *
 * Many AuditLog instances (service replicas, the operator) may append to the same tenant at once:
 * each keeps a cached head and an in-memory tree, and the unique sequence index arbitrates.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditRecordInput } from '@parley/contracts';
import type { MongoClient } from 'mongodb';
import { type AppendOptions, type AppendOutcome, ChainAppender } from './append/chain-appender.ts';
import { ChainHead } from './append/chain-head.ts';
import { logName, type SignedCheckpoint } from './checkpoint/checkpoint.ts';
import type { CheckpointPublisher } from './checkpoint/checkpoint-publisher.ts';
import { type CheckpointPolicy, CheckpointSigner } from './checkpoint/checkpoint-signer.ts';
import type { SigningKey } from './checkpoint/signing-key.ts';
import { LogTree } from './merkle/log-tree.ts';
import type { PersonalDataSealer } from './personal-data-sealer.ts';
import { type ConsistencyProof, type InclusionProof, LogProofs } from './proof/log-proofs.ts';
import { type PruneEntry, pruneRecordInput } from './prune/prune-record.ts';
import type { StoredAuditRecord } from './record/audit-record.ts';
import { type AuditCollections, auditCollections, ensureAuditIndexes } from './store/audit-collections.ts';
import { type RecordQuery, RecordReads } from './store/record-reads.ts';
import type { ChainVerification } from './verify/chain-verifier.ts';
import type { ProofBundle } from './verify/proof-bundle.ts';
import { verifyStoredLog } from './verify/stored-log-verification.ts';

export type { AppendOutcome } from './append/chain-appender.ts';
export {
  AuditIntegrityError,
  AuditNotFoundError,
  AuditRecordRejectedError,
  isDuplicateKey,
} from './audit-errors.ts';
export type { CheckpointPolicy } from './checkpoint/checkpoint-signer.ts';
export type { ConsistencyProof, InclusionProof } from './proof/log-proofs.ts';

export interface AuditLogOptions {
  client: MongoClient;
  tenant: string;
  /** Signs checkpoints; without it the log appends and proves but never signs. */
  signingKey?: SigningKey;
  /**
   * Publishes each checkpoint outside the database before it counts, and holds the latest
   * published one the log must extend before it signs again.
   */
  publisher?: CheckpointPublisher;
  /** Keys whose published checkpoints count (current and previous); default: the signing key. */
  trustedKeys?: ReadonlyMap<string, KeyObject>;
  /** Seals personal fields; required to append records that carry any. */
  sealer?: PersonalDataSealer;
  clock?: () => Date;
  /**
   * Forced checkpoints (someone asked: a POST, a proof of a record no checkpoint covers yet) are
   * signed at most once per this interval by this instance; in between, the latest is returned.
   * Asking must not mint a signature (and a bucket object) per request. Default 0: no limit.
   */
  forcedCheckpointIntervalMs?: number;
  /** Attempts at one batch when other writers keep winning the race (default 50). */
  maxAppendAttempts?: number;
}

export class AuditLog {
  readonly tenant: string;
  readonly log: string;
  readonly collections: AuditCollections;
  readonly #options: AuditLogOptions;
  readonly #clock: () => Date;
  readonly #tree: LogTree;
  readonly #appender: ChainAppender;
  readonly #checkpoints: CheckpointSigner;
  readonly #proofs: LogProofs;
  readonly #records: RecordReads;

  private constructor(options: AuditLogOptions) {
    this.tenant = options.tenant;
    this.log = logName(options.tenant);
    this.collections = auditCollections(options.client, options.tenant);
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
    const { tenant, log, collections } = this;
    const head = new ChainHead(tenant, collections);
    this.#tree = new LogTree(tenant, collections, head);
    this.#records = new RecordReads(tenant, collections);
    this.#appender = new ChainAppender({
      tenant,
      collections,
      head,
      tree: this.#tree,
      clock: this.#clock,
      ...(options.sealer ? { sealer: options.sealer } : {}),
      maxAttempts: options.maxAppendAttempts ?? 50,
    });
    this.#checkpoints = new CheckpointSigner({
      tenant,
      log,
      collections,
      tree: this.#tree,
      clock: this.#clock,
      ...(options.signingKey ? { signingKey: options.signingKey } : {}),
      ...(options.publisher ? { publisher: options.publisher } : {}),
      ...(options.trustedKeys ? { trustedKeys: options.trustedKeys } : {}),
      forcedCheckpointIntervalMs: options.forcedCheckpointIntervalMs ?? 0,
    });
    this.#proofs = new LogProofs({
      tenant,
      log,
      tree: this.#tree,
      checkpoints: this.#checkpoints,
      records: this.#records,
      ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    });
  }

  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(options);
    await ensureAuditIndexes(log.collections);
    return log;
  }

  get treeSize(): number {
    return this.#tree.size;
  }

  /**
   * Appends records in order. Idempotent per record id: a record already in the log is reported
   * as a duplicate with its original sequence. Personal fields are sealed before sequencing, so
   * a retry after a lost race never re-encrypts.
   */
  append(
    inputs: readonly AuditRecordInput[],
    source: string,
    options: AppendOptions = {},
  ): Promise<AppendOutcome[]> {
    return this.#appender.append(inputs, source, options, false);
  }

  /**
   * Appends the prune record that vouches for pruning these records (see prune/prune-record.ts);
   * AuditPurgeTarget calls it before it removes any body. The only way to write that action.
   */
  async recordPrune(entries: readonly PruneEntry[], before: Date, source: string): Promise<AppendOutcome> {
    const input = pruneRecordInput(this.tenant, entries, before, this.#clock());
    const [outcome] = await this.#appender.append([input], source, {}, true);
    if (!outcome) throw new Error('the prune record was not appended');
    return outcome;
  }

  /** Brings the in-memory Merkle tree up to the stored log (records other writers appended). */
  syncTree(): Promise<void> {
    return this.#tree.sync();
  }

  latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    return this.#checkpoints.latest();
  }

  getCheckpoint(treeSize: number): Promise<SignedCheckpoint | undefined> {
    return this.#checkpoints.get(treeSize);
  }

  listCheckpoints(options: { beforeSize?: number; limit?: number } = {}): Promise<SignedCheckpoint[]> {
    return this.#checkpoints.list(options);
  }

  /**
   * Signs a checkpoint of the current tree when the policy says it is due (or `force`); refuses
   * (AuditIntegrityError) when the tree no longer extends the last one signed or published.
   */
  checkpoint(
    options: { policy?: CheckpointPolicy; force?: boolean } = {},
  ): Promise<SignedCheckpoint | undefined> {
    return this.#checkpoints.checkpoint(options);
  }

  getRecord(sequence: number): Promise<StoredAuditRecord | undefined> {
    return this.#records.bySequence(sequence);
  }

  getRecordById(id: string): Promise<StoredAuditRecord | undefined> {
    return this.#records.byId(id);
  }

  listRecords(query: RecordQuery): Promise<StoredAuditRecord[]> {
    return this.#records.list(query);
  }

  /** Every record about a person (as actor or as a data subject), in order: for GDPR export. */
  recordsAbout(userId: string, limit = 10_000): Promise<StoredAuditRecord[]> {
    return this.#records.about(userId, limit);
  }

  /**
   * An inclusion proof for a record against a signed checkpoint: the given size, else the
   * latest checkpoint that covers it (signing one now if none does yet).
   */
  inclusionProof(sequence: number, treeSize?: number): Promise<InclusionProof> {
    return this.#proofs.inclusion(sequence, treeSize);
  }

  /** A consistency proof between two signed checkpoints (the second defaults to the latest). */
  consistencyProof(fromSize: number, toSize?: number): Promise<ConsistencyProof> {
    return this.#proofs.consistency(fromSize, toSize);
  }

  /** The offline verifier's input: proofs for these records and the history since `sinceSize`. */
  proofBundle(sequences: number[], sinceSize?: number): Promise<ProofBundle> {
    return this.#proofs.bundle(sequences, sinceSize);
  }

  /**
   * Re-reads the whole stored log and checks every hash, link and signed checkpoint, the latest
   * published one included.
   */
  verify(publicKeys: ReadonlyMap<string, KeyObject>): Promise<ChainVerification> {
    return verifyStoredLog(this.tenant, this.collections, this.#options.publisher, publicKeys);
  }
}
