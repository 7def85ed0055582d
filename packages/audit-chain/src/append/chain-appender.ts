/**
 * Appending to one tenant's hash chain. Many writers (service replicas, the operator) may append
 * to the same tenant at once: each chains its batch onto its cached head and the unique sequence
 * index arbitrates; a writer that loses a race re-reads the head and rebuilds the rest of its
 * batch on top of it. Idempotent per record id: a record already in the log is reported as a
 * duplicate with its original sequence.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditRecordInput } from '@parley/contracts';
import { AuditRecordRejectedError, isDuplicateKey } from '../audit-errors.ts';
import type { LogTree } from '../merkle/log-tree.ts';
import type { PersonalDataSealer } from '../personal-data-sealer.ts';
import { PRUNE_ACTION } from '../prune/prune-record.ts';
import {
  type AuditRecord,
  type AuditRecordBody,
  computeRecordHash,
  type SealedPersonalEntry,
} from '../record/audit-record.ts';
import { type AuditCollections, type AuditRecordDocument, fromDocument } from '../store/audit-collections.ts';
import type { ChainHead } from './chain-head.ts';

export interface AppendOutcome {
  id: string;
  sequence: number;
  hash: string;
  /** True when a record with this id was already in the log (the append was a no-op). */
  duplicate: boolean;
  /** Why the record was refused (only with append's onRejected; sequence is then -1). */
  rejected?: string;
}

export interface AppendOptions {
  onRejected?: (input: AuditRecordInput, reason: string) => Promise<void>;
}

export interface ChainAppenderDeps {
  tenant: string;
  collections: AuditCollections;
  head: ChainHead;
  tree: LogTree;
  clock: () => Date;
  sealer?: PersonalDataSealer;
  /** Attempts at one batch when other writers keep winning the race. */
  maxAttempts: number;
}

export class ChainAppender {
  readonly #d: ChainAppenderDeps;

  constructor(deps: ChainAppenderDeps) {
    this.#d = deps;
  }

  /**
   * Appends records in order. Personal fields are sealed before sequencing, so a retry after a
   * lost race never re-encrypts. `mayPrune` admits the action reserved to retention.
   */
  async append(
    inputs: readonly AuditRecordInput[],
    source: string,
    options: AppendOptions,
    mayPrune: boolean,
  ): Promise<AppendOutcome[]> {
    const { tenant, collections, head, clock } = this.#d;
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

    let attempts = 0;
    const appended: AuditRecord[] = [];
    while (pending.length > 0) {
      const at = await head.current();
      const appendedAt = clock().toISOString();
      const docs: AuditRecordDocument[] = [];
      let prevHash = at.hash;
      pending.forEach(({ input, personal }, i) => {
        const body: AuditRecordBody = {
          tenant,
          sequence: at.sequence + 1 + i,
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
      if (last) head.advance({ sequence: last.sequence, hash: last.hash });
      if (failedAt === undefined) break;

      pending = pending.slice(failedAt);
      const loser = docs[failedAt] as AuditRecordDocument;
      const twin = await collections.records.findOne(
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
      head.forget();
      attempts += 1;
      if (attempts >= this.#d.maxAttempts) {
        throw new Error(`audit append for ${tenant} lost the race ${attempts} times; giving up for now`);
      }
      await sleep(Math.floor(Math.random() * Math.min(50, 2 ** attempts)));
    }

    await this.#d.tree.extend(appended);
    return unique.map((input) => outcomes.get(input.id) as AppendOutcome).filter(Boolean);
  }

  async #seal(input: AuditRecordInput): Promise<SealedPersonalEntry[]> {
    if (!input.personal || input.personal.length === 0) return [];
    const sealer = this.#d.sealer;
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
          sealed.push(await sealer.adopt(this.#d.tenant, entry));
        } catch (error) {
          if (error instanceof AuditRecordRejectedError)
            throw new AuditRecordRejectedError(input.id, error.message);
          throw error;
        }
      } else {
        sealed.push(await sealer.seal(this.#d.tenant, entry.subject, entry.fields));
      }
    }
    return sealed;
  }

  /** insertMany in order; returns the index of the first document refused for a duplicate key. */
  async #insertOrdered(docs: AuditRecordDocument[]): Promise<number | undefined> {
    try {
      await this.#d.collections.records.insertMany(docs, { ordered: true });
      return undefined;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const writeErrors = (error as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
      const first = Array.isArray(writeErrors) ? writeErrors[0] : writeErrors;
      return first?.index ?? 0;
    }
  }
}
