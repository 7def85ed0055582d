/**
 * One tenant's audit log: append (hash chain + Merkle tree), signed checkpoints, proofs and
 * verification. Many AuditLog instances (service replicas, the operator) may append to the same
 * tenant at once: each keeps a cached head and an in-memory tree, and the unique sequence index
 * arbitrates; a writer that loses a race re-reads the head and rebuilds its batch on top of it.
 */
import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditRecordInput } from '@parley/contracts';
import type { MongoClient } from 'mongodb';
import { logName, type SignedCheckpoint, signCheckpoint } from './checkpoint/checkpoint.ts';
import { type CheckpointPublisher, publishedCheckpointFault } from './checkpoint/checkpoint-publisher.ts';
import type { SigningKey } from './checkpoint/signing-key.ts';
import { fromHex, toHex } from './merkle/hashing.ts';
import { MerkleTree } from './merkle/merkle-tree.ts';
import type { PersonalDataSealer } from './personal-data-sealer.ts';
import { PRUNE_ACTION, type PruneEntry, pruneRecordInput } from './prune/prune-record.ts';
import {
  type AuditRecord,
  type AuditRecordBody,
  computeRecordHash,
  GENESIS_HASH,
  isPruned,
  recordLeafHash,
  type SealedPersonalEntry,
  type StoredAuditRecord,
} from './record/audit-record.ts';
import {
  type AuditCollections,
  type AuditRecordDocument,
  auditCollections,
  checkpointFromDocument,
  ensureAuditIndexes,
  fromDocument,
  HEAD_HINT_ID,
} from './store/audit-collections.ts';
import { type ChainVerification, verifyChain } from './verify/chain-verifier.ts';
import { PROOF_BUNDLE_FORMAT, type ProofBundle } from './verify/proof-bundle.ts';

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

export interface AppendOutcome {
  id: string;
  sequence: number;
  hash: string;
  /** True when a record with this id was already in the log (the append was a no-op). */
  duplicate: boolean;
  /** Why the record was refused (only with append's onRejected; sequence is then -1). */
  rejected?: string;
}

export interface CheckpointPolicy {
  everyRecords: number;
  everyMs: number;
}

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

export class AuditIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditIntegrityError';
  }
}

/** A record that can never be appended as given (e.g. personal fields that do not open). */
export class AuditRecordRejectedError extends Error {
  readonly recordId: string;
  constructor(recordId: string, reason: string) {
    super(`audit record ${recordId} refused: ${reason}`);
    this.name = 'AuditRecordRejectedError';
    this.recordId = recordId;
  }
}

export class AuditNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditNotFoundError';
  }
}

export class AuditLog {
  readonly tenant: string;
  readonly log: string;
  readonly collections: AuditCollections;
  readonly #options: AuditLogOptions;
  readonly #clock: () => Date;
  #head: { sequence: number; hash: string } | undefined;
  #tree = new MerkleTree();
  /** The tree size whose root we checked against the latest signed checkpoint (before signing anew). */
  #checkedAgainst = 0;
  #syncing: Promise<void> | undefined;
  #hintWrite: Promise<void> = Promise.resolve();
  /** The newest checkpoint this instance has seen or signed (policy checks need no query). */
  #latest: SignedCheckpoint | undefined;
  /** When this instance last signed a forced checkpoint (rate limit). */
  #lastForcedAt = Number.NEGATIVE_INFINITY;

  private constructor(options: AuditLogOptions) {
    this.tenant = options.tenant;
    this.log = logName(options.tenant);
    this.collections = auditCollections(options.client, options.tenant);
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
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
  async append(
    inputs: readonly AuditRecordInput[],
    source: string,
    options: { onRejected?: (input: AuditRecordInput, reason: string) => Promise<void> } = {},
  ): Promise<AppendOutcome[]> {
    return this.#append(inputs, source, options, false);
  }

  /**
   * Appends the prune record that vouches for pruning these records (see prune/prune-record.ts);
   * AuditPurgeTarget calls it before it removes any body. The only way to write that action.
   */
  async recordPrune(entries: readonly PruneEntry[], before: Date, source: string): Promise<AppendOutcome> {
    const input = pruneRecordInput(this.tenant, entries, before, this.#clock());
    const [outcome] = await this.#append([input], source, {}, true);
    if (!outcome) throw new Error('the prune record was not appended');
    return outcome;
  }

  async #append(
    inputs: readonly AuditRecordInput[],
    source: string,
    options: { onRejected?: (input: AuditRecordInput, reason: string) => Promise<void> },
    mayPrune: boolean,
  ): Promise<AppendOutcome[]> {
    const outcomes = new Map<string, AppendOutcome>();
    const unique = [...new Map(inputs.map((input) => [input.id, input])).values()];
    if (unique.length === 0) return [];
    // No look-up of existing ids first: on a Mongo-wire server without index pushdown for $in
    // that costs a scan per batch. A duplicate id is found by the insert itself (unique _id)
    // and confirmed by one _id look-up, which every server answers from its index.
    // Everything is sealed (or refused) before anything is inserted: without onRejected, one
    // refused record refuses the batch and nothing is appended.
    let pending: { input: AuditRecordInput; personal: SealedPersonalEntry[] }[] = [];
    for (const input of unique) {
      try {
        if (input.action === PRUNE_ACTION && !mayPrune)
          throw new AuditRecordRejectedError(input.id, `the action ${PRUNE_ACTION} is reserved to retention`);
        pending.push({ input, personal: await this.#seal(input) });
      } catch (error) {
        if (!(error instanceof AuditRecordRejectedError) || !options.onRejected) throw error;
        await options.onRejected(input, error.message);
        outcomes.set(input.id, {
          id: input.id,
          sequence: -1,
          hash: '',
          duplicate: false,
          rejected: error.message,
        });
      }
    }

    const maxAttempts = this.#options.maxAppendAttempts ?? 50;
    let attempts = 0;
    const appended: AuditRecord[] = [];
    while (pending.length > 0) {
      const head = this.#head ?? (await this.#readHead());
      const appendedAt = this.#clock().toISOString();
      const docs: AuditRecordDocument[] = [];
      let prevHash = head.hash;
      pending.forEach(({ input, personal }, i) => {
        const body: AuditRecordBody = {
          tenant: this.tenant,
          sequence: head.sequence + 1 + i,
          id: input.id,
          occurredAt: input.occurredAt,
          appendedAt,
          source,
          actor: input.actor,
          action: input.action,
          resource: input.resource,
          outcome: input.outcome,
          metadata: input.metadata ?? {},
          personal,
          ...(input.requestId ? { requestId: input.requestId } : {}),
          prevHash,
        };
        const hash = computeRecordHash(body);
        prevHash = hash;
        docs.push({ _id: input.id, ...body, hash });
      });

      const failedAt = await this.#insertOrdered(docs);
      const inserted = docs.slice(0, failedAt ?? docs.length);
      for (const doc of inserted) {
        const record = fromDocument(doc) as AuditRecord;
        appended.push(record);
        outcomes.set(doc._id, { id: doc._id, sequence: doc.sequence, hash: doc.hash, duplicate: false });
      }
      const last = inserted[inserted.length - 1];
      if (last) {
        this.#head = { sequence: last.sequence, hash: last.hash };
        this.#advanceHint(this.#head);
      }
      if (failedAt === undefined) break;

      pending = pending.slice(failedAt);
      const loser = docs[failedAt] as AuditRecordDocument;
      const twin = await this.collections.records.findOne(
        { _id: loser._id },
        { projection: { sequence: 1, hash: 1 } },
      );
      if (twin) {
        // This very record is already in the log (a redelivery): it stays there once. Our head
        // is still right (only the _id collided), so the rest chains on without a re-read.
        outcomes.set(loser._id, { id: loser._id, sequence: twin.sequence, hash: twin.hash, duplicate: true });
        pending = pending.slice(1);
        continue;
      }
      // Another writer took our sequence number: re-read the head and chain on top of it.
      this.#head = undefined;
      attempts += 1;
      if (attempts >= maxAttempts) {
        throw new Error(`audit append for ${this.tenant} lost the race ${attempts} times; giving up for now`);
      }
      await sleep(Math.floor(Math.random() * Math.min(50, 2 ** attempts)));
    }

    await this.#extendTree(appended);
    return unique.map((input) => outcomes.get(input.id) as AppendOutcome).filter(Boolean);
  }

  /** Brings the in-memory Merkle tree up to the stored log (records other writers appended). */
  async syncTree(): Promise<void> {
    this.#syncing ??= this.#loadLeaves().finally(() => {
      this.#syncing = undefined;
    });
    await this.#syncing;
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const doc = await this.collections.checkpoints.find().sort({ _id: -1 }).limit(1).next();
    const latest = doc ? checkpointFromDocument(doc) : undefined;
    if (latest && (!this.#latest || latest.treeSize > this.#latest.treeSize)) this.#latest = latest;
    return latest;
  }

  async getCheckpoint(treeSize: number): Promise<SignedCheckpoint | undefined> {
    const doc = await this.collections.checkpoints.findOne({ _id: treeSize });
    return doc ? checkpointFromDocument(doc) : undefined;
  }

  async listCheckpoints(options: { beforeSize?: number; limit?: number } = {}): Promise<SignedCheckpoint[]> {
    const filter = options.beforeSize !== undefined ? { _id: { $lt: options.beforeSize } } : {};
    const docs = await this.collections.checkpoints
      .find(filter)
      .sort({ _id: -1 })
      .limit(Math.min(options.limit ?? 100, 10_000))
      .toArray();
    return docs.map(checkpointFromDocument);
  }

  /**
   * Signs a checkpoint of the current tree when the policy says it is due (or `force`). Before
   * signing it checks that today's tree extends the last signed one: a log tampered with since
   * then is refused a signature rather than laundered by one.
   */
  async checkpoint(
    options: { policy?: CheckpointPolicy; force?: boolean } = {},
  ): Promise<SignedCheckpoint | undefined> {
    const key = this.#options.signingKey;
    if (!key) return undefined;
    // By policy, sign what this writer's tree holds (its own appends keep it current); only a
    // forced checkpoint first reads what other writers appended.
    if (options.force || this.#tree.size === 0) await this.syncTree();
    const size = this.#tree.size;
    if (size === 0) return undefined;
    const latest = this.#latest ?? (await this.latestCheckpoint());
    if (latest && latest.treeSize >= size) return latest;
    const now = this.#clock().getTime();
    if (latest && options.force && now - this.#lastForcedAt < (this.#options.forcedCheckpointIntervalMs ?? 0))
      return latest;
    if (latest && !options.force && options.policy) {
      const age = now - Date.parse(latest.issuedAt);
      if (size - latest.treeSize < options.policy.everyRecords && age < options.policy.everyMs)
        return undefined;
    }
    if (latest && this.#checkedAgainst !== latest.treeSize) {
      this.#assertExtends(latest, size, 'its checkpoint');
      this.#checkedAgainst = latest.treeSize;
    }
    const published = await this.#latestPublished();
    if (published) {
      if (published.treeSize > size) {
        // Another replica may have appended and signed past this writer's view: catch up first,
        // so only a log that is really shorter is refused.
        await this.syncTree();
        if (this.#tree.size >= published.treeSize) {
          this.#assertExtends(published, this.#tree.size, 'its published checkpoint');
          return published;
        }
      }
      this.#assertExtends(published, size, 'its published checkpoint');
      if (published.treeSize === size) return published;
    }
    const signed = signCheckpoint(
      {
        log: this.log,
        treeSize: size,
        rootHash: toHex(this.#tree.root(size)),
        issuedAt: this.#clock().toISOString(),
        keyId: key.keyId,
      },
      key.privateKey,
    );
    if (options.force) this.#lastForcedAt = now;
    // Published first: a checkpoint the tenant cannot see would not bind the log.
    await this.#options.publisher?.publish(this.tenant, signed);
    try {
      await this.collections.checkpoints.insertOne({ _id: size, ...signed });
      this.#checkedAgainst = size;
      this.#latest = signed;
      return signed;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return (await this.getCheckpoint(size)) ?? signed; // another replica signed this size first
    }
  }

  async getRecord(sequence: number): Promise<StoredAuditRecord | undefined> {
    const doc = await this.collections.records.findOne({ tenant: this.tenant, sequence });
    return doc ? fromDocument(doc) : undefined;
  }

  async getRecordById(id: string): Promise<StoredAuditRecord | undefined> {
    const doc = await this.collections.records.findOne({ _id: id });
    return doc ? fromDocument(doc) : undefined;
  }

  async listRecords(query: {
    afterSequence?: number;
    limit?: number;
    action?: string;
    actorId?: string;
    subject?: string;
  }): Promise<StoredAuditRecord[]> {
    const filter: Record<string, unknown> = { tenant: this.tenant };
    if (query.afterSequence !== undefined) filter.sequence = { $gt: query.afterSequence };
    if (query.action) filter.action = query.action;
    if (query.actorId) filter['actor.id'] = query.actorId;
    if (query.subject) filter['personal.subject'] = query.subject;
    const docs = await this.collections.records
      .find(filter)
      .sort({ sequence: 1 })
      .limit(Math.min(query.limit ?? 100, 1000))
      .toArray();
    return docs.map(fromDocument);
  }

  /** Every record about a person (as actor or as a data subject), in order: for GDPR export. */
  async recordsAbout(userId: string, limit = 10_000): Promise<StoredAuditRecord[]> {
    const docs = await this.collections.records
      .find({ tenant: this.tenant, $or: [{ 'actor.id': userId }, { 'personal.subject': userId }] })
      .sort({ sequence: 1 })
      .limit(limit)
      .toArray();
    return docs.map(fromDocument);
  }

  /**
   * An inclusion proof for a record against a signed checkpoint: the given size, else the
   * latest checkpoint that covers it (signing one now if none does yet).
   */
  async inclusionProof(sequence: number, treeSize?: number): Promise<InclusionProof> {
    const record = await this.getRecord(sequence);
    if (!record) throw new AuditNotFoundError(`no audit record ${sequence}`);
    const checkpoint = await this.#checkpointCovering(sequence + 1, treeSize);
    await this.syncTree();
    this.#assertTreeMatches(checkpoint);
    return {
      record,
      leafIndex: sequence,
      treeSize: checkpoint.treeSize,
      leafHash: toHex(recordLeafHash(record.hash)),
      auditPath: this.#tree.inclusionProof(sequence, checkpoint.treeSize).map(toHex),
      checkpoint,
    };
  }

  /** A consistency proof between two signed checkpoints (the second defaults to the latest). */
  async consistencyProof(fromSize: number, toSize?: number): Promise<ConsistencyProof> {
    const first = await this.getCheckpoint(fromSize);
    if (!first) throw new AuditNotFoundError(`no checkpoint of size ${fromSize}`);
    const second = toSize === undefined ? await this.latestCheckpoint() : await this.getCheckpoint(toSize);
    if (!second) throw new AuditNotFoundError(`no checkpoint of size ${toSize}`);
    if (second.treeSize < first.treeSize)
      throw new AuditNotFoundError('the second checkpoint must not be smaller than the first');
    await this.syncTree();
    this.#assertTreeMatches(first);
    this.#assertTreeMatches(second);
    return { first, second, proof: this.#tree.consistencyProof(first.treeSize, second.treeSize).map(toHex) };
  }

  /** The offline verifier's input: proofs for these records and the history since `sinceSize`. */
  async proofBundle(sequences: number[], sinceSize?: number): Promise<ProofBundle> {
    const key = this.#options.signingKey;
    const inclusion: ProofBundle['inclusion'] = [];
    const checkpoints = new Map<number, SignedCheckpoint>();
    // A pruned record travels with the prune record that vouches for it.
    const queue = [...new Set(sequences)];
    for (let i = 0; i < queue.length; i += 1) {
      const proof = await this.inclusionProof(queue[i] as number);
      checkpoints.set(proof.checkpoint.treeSize, proof.checkpoint);
      inclusion.push({ record: proof.record, treeSize: proof.treeSize, auditPath: proof.auditPath });
      const by = isPruned(proof.record) ? proof.record.prunedBy : undefined;
      if (by !== undefined && !queue.includes(by)) queue.push(by);
    }
    const consistency: ProofBundle['consistency'] = [];
    if (sinceSize !== undefined) {
      const proof = await this.consistencyProof(sinceSize);
      checkpoints.set(proof.first.treeSize, proof.first);
      checkpoints.set(proof.second.treeSize, proof.second);
      consistency.push({ fromSize: proof.first.treeSize, toSize: proof.second.treeSize, proof: proof.proof });
    }
    return {
      format: PROOF_BUNDLE_FORMAT,
      tenant: this.tenant,
      log: this.log,
      keys: key ? [{ keyId: key.keyId, publicKey: key.publicKeyDer }] : [],
      checkpoints: [...checkpoints.values()].sort((a, b) => a.treeSize - b.treeSize),
      inclusion,
      consistency,
    };
  }

  /**
   * Re-reads the whole stored log and checks every hash, link and signed checkpoint, the latest
   * published one included: the database's own checkpoints can be deleted with the tail they
   * cover, the published one cannot be deleted from there.
   */
  async verify(publicKeys: ReadonlyMap<string, KeyObject>): Promise<ChainVerification> {
    const checkpoints = (await this.collections.checkpoints.find().sort({ _id: 1 }).toArray()).map(
      checkpointFromDocument,
    );
    const published = await this.#options.publisher?.latest(this.tenant);
    if (
      published &&
      !checkpoints.some((c) => c.treeSize === published.treeSize && c.signature === published.signature)
    ) {
      checkpoints.push(published);
    }
    const cursor = this.collections.records
      .find({ tenant: this.tenant })
      .sort({ sequence: 1 })
      .batchSize(1000);
    async function* records(): AsyncGenerator<StoredAuditRecord> {
      for await (const doc of cursor) yield fromDocument(doc);
    }
    return verifyChain({ tenant: this.tenant, records: records(), checkpoints, publicKeys });
  }

  async #seal(input: AuditRecordInput): Promise<SealedPersonalEntry[]> {
    if (!input.personal || input.personal.length === 0) return [];
    const sealer = this.#options.sealer;
    if (!sealer) throw new Error('this audit log cannot accept personal fields: no sealer configured');
    const sealed: SealedPersonalEntry[] = [];
    for (const entry of input.personal) {
      if ('ciphertext' in entry) {
        if (entry.keyName !== `subject:${entry.subject}`) {
          throw new AuditRecordRejectedError(
            input.id,
            `personal fields of ${entry.subject} sealed under ${entry.keyName}`,
          );
        }
        try {
          sealed.push(await sealer.adopt(this.tenant, entry));
        } catch (error) {
          if (error instanceof AuditRecordRejectedError)
            throw new AuditRecordRejectedError(input.id, error.message);
          throw error;
        }
      } else {
        sealed.push(await sealer.seal(this.tenant, entry.subject, entry.fields));
      }
    }
    return sealed;
  }

  /** insertMany in order; returns the index of the first document refused for a duplicate key. */
  async #insertOrdered(docs: AuditRecordDocument[]): Promise<number | undefined> {
    try {
      await this.collections.records.insertMany(docs, { ordered: true });
      return undefined;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const writeErrors = (error as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
      const first = Array.isArray(writeErrors) ? writeErrors[0] : writeErrors;
      return first?.index ?? 0;
    }
  }

  /**
   * The chain's last record. Sorting by sequence is a scan on some Mongo-wire servers, so the
   * head is found from a hint (collection audit_head, moved forward after appends, possibly
   * behind) by galloping forward with equality look-ups on the unique (tenant, sequence) index:
   * O(log k) look-ups for a hint k records behind. Without a usable hint, one sorted query.
   */
  async #readHead(): Promise<{ sequence: number; hash: string }> {
    const hint = await this.collections.head.findOne({ _id: HEAD_HINT_ID });
    const at = async (sequence: number) =>
      this.collections.records.findOne(
        { tenant: this.tenant, sequence },
        { projection: { sequence: 1, hash: 1 } },
      );
    let found = hint ? await at(hint.sequence) : null;
    if (!found) {
      const last = await this.collections.records
        .find({ tenant: this.tenant }, { projection: { sequence: 1, hash: 1 } })
        .sort({ sequence: -1 })
        .limit(1)
        .next();
      this.#head = last ? { sequence: last.sequence, hash: last.hash } : { sequence: -1, hash: GENESIS_HASH };
      return this.#head;
    }
    let low = found;
    let step = 1;
    let high: number | undefined;
    while (high === undefined) {
      const probe = await at(low.sequence + step);
      if (probe) {
        low = probe;
        step *= 2;
      } else {
        high = low.sequence + step;
      }
    }
    while (high - low.sequence > 1) {
      const middle = Math.floor((low.sequence + high) / 2);
      const probe = await at(middle);
      if (probe) low = probe;
      else high = middle;
    }
    found = low;
    this.#head = { sequence: found.sequence, hash: found.hash };
    this.#advanceHint(this.#head);
    return this.#head;
  }

  /** Moves the head hint forward (never back), in the background: appends never wait on it. */
  #advanceHint(head: { sequence: number; hash: string }): void {
    this.#hintWrite = this.#hintWrite
      .then(() =>
        this.collections.head.updateOne(
          { _id: HEAD_HINT_ID, sequence: { $lt: head.sequence } },
          { $set: { sequence: head.sequence, hash: head.hash } },
          { upsert: true },
        ),
      )
      .then(
        () => undefined,
        () => undefined, // a newer hint already there (the upsert collides): nothing to do
      );
  }

  async #extendTree(appended: AuditRecord[]): Promise<void> {
    const sorted = [...appended].sort((a, b) => a.sequence - b.sequence);
    for (const record of sorted) {
      if (record.sequence !== this.#tree.size) break;
      this.#tree.append(recordLeafHash(record.hash));
    }
    const last = sorted[sorted.length - 1];
    if (last && this.#tree.size <= last.sequence) await this.syncTree();
  }

  async #loadLeaves(): Promise<void> {
    const head = await this.#readHead();
    const target = head.sequence + 1;
    if (target <= this.#tree.size) return;
    if (this.#tree.size > 0 && target - this.#tree.size <= 64) {
      // A few records other writers appended: equality look-ups, each answered from the index.
      while (this.#tree.size < target) {
        const doc = await this.collections.records.findOne(
          { tenant: this.tenant, sequence: this.#tree.size },
          { projection: { sequence: 1, hash: 1 } },
        );
        if (!doc) return; // a gap: a record is missing; verification will name it
        this.#tree.append(recordLeafHash(doc.hash));
      }
      return;
    }
    const cursor = this.collections.records
      .find(
        { tenant: this.tenant, sequence: { $gte: this.#tree.size } },
        { projection: { sequence: 1, hash: 1 } },
      )
      .sort({ sequence: 1 })
      .batchSize(5000);
    for await (const doc of cursor) {
      // A gap means a record is missing from the store: stop, verification will name it.
      if (doc.sequence !== this.#tree.size) break;
      this.#tree.append(recordLeafHash(doc.hash));
    }
  }

  async #checkpointCovering(minSize: number, treeSize?: number): Promise<SignedCheckpoint> {
    if (treeSize !== undefined) {
      const checkpoint = await this.getCheckpoint(treeSize);
      if (!checkpoint) throw new AuditNotFoundError(`no checkpoint of size ${treeSize}`);
      if (checkpoint.treeSize < minSize)
        throw new AuditNotFoundError(`checkpoint ${treeSize} does not cover the record`);
      return checkpoint;
    }
    const latest = await this.latestCheckpoint();
    if (latest && latest.treeSize >= minSize) return latest;
    const fresh = await this.checkpoint({ force: true });
    if (!fresh || fresh.treeSize < minSize)
      throw new AuditNotFoundError('no signed checkpoint covers the record yet');
    return fresh;
  }

  /** The latest published checkpoint, refused (AuditIntegrityError) when it is not genuine. */
  async #latestPublished(): Promise<SignedCheckpoint | undefined> {
    const publisher = this.#options.publisher;
    if (!publisher) return undefined;
    const published = await publisher.latest(this.tenant);
    if (!published) return undefined;
    const key = this.#options.signingKey;
    const trusted = this.#options.trustedKeys ?? new Map(key ? [[key.keyId, key.publicKey] as const] : []);
    const fault = publishedCheckpointFault(published, this.log, trusted);
    if (fault) {
      throw new AuditIntegrityError(
        `the published checkpoint of ${this.tenant} at size ${published.treeSize} is not evidence (${fault}): refusing to sign`,
      );
    }
    return published;
  }

  /** Throws unless the tree of `size` extends the checkpoint (same root at its size). */
  #assertExtends(checkpoint: SignedCheckpoint, size: number, what: string): void {
    if (checkpoint.treeSize > size) {
      throw new AuditIntegrityError(
        `the log of ${this.tenant} holds ${size} records, ${what} covers ${checkpoint.treeSize}: refusing to sign a shorter log`,
      );
    }
    if (toHex(this.#tree.root(checkpoint.treeSize)) !== checkpoint.rootHash) {
      throw new AuditIntegrityError(
        `the log of ${this.tenant} no longer matches ${what} at size ${checkpoint.treeSize}: refusing to sign`,
      );
    }
  }

  #assertTreeMatches(checkpoint: SignedCheckpoint): void {
    if (
      checkpoint.treeSize > this.#tree.size ||
      !this.#tree.root(checkpoint.treeSize).equals(fromHex(checkpoint.rootHash))
    ) {
      throw new AuditIntegrityError(
        `the stored log does not match the signed checkpoint of size ${checkpoint.treeSize}`,
      );
    }
  }
}

export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: { code?: number }[] };
  if (e?.code === 11000) return true;
  return Array.isArray(e?.writeErrors) && e.writeErrors.some((w) => w.code === 11000);
}
