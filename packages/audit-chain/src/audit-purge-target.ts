/**
 * Retention for the audit log. Deleting records would break the chain and every proof, so an
 * expired record is *pruned*: its body (actor, action, metadata, sealed personal fields...) is
 * removed and its tenant, sequence, id, appendedAt, prevHash and hash stay. The chain still links,
 * the Merkle tree (built over hashes) still proves, and checkpoints still verify. The prune is
 * itself evidence: before any body goes, a prune record naming each record by sequence and hash
 * is appended to the chain (prune/prune-record.ts), and every stub points at it (`prunedBy`).
 * A crash between the two leaves a prune record for records still whole: harmless, and the next
 * run's prune record (same records, same id) is not appended twice. Prune records themselves are
 * never pruned: they are what proves the stubs.
 */
import type { PurgeCandidate, PurgeQuery, PurgeTarget } from '@parley/retention';
import type { AuditLog } from './audit-log.ts';
import { PRUNABLE_FIELDS, PRUNE_ACTION, PRUNE_RECORDS_PER_EVENT } from './prune/prune-record.ts';
import { isPruned } from './record/audit-record.ts';

export class AuditPurgeTarget implements PurgeTarget {
  readonly resource = 'audit' as const;
  readonly #log: AuditLog;
  readonly #clock: () => Date;
  readonly #source: string;

  /** `source` names who prunes in the prune record (the compliance service, the operator). */
  constructor(log: AuditLog, clock: () => Date = () => new Date(), source = 'retention') {
    this.#log = log;
    this.#clock = clock;
    this.#source = source;
  }

  async listExpired(query: PurgeQuery): Promise<PurgeCandidate[]> {
    const filter: Record<string, unknown> = {
      tenant: this.#log.tenant,
      appendedAt: { $lt: query.before.toISOString() },
      pruned: { $ne: true },
      // Prune records are the proof of every stub they name: pruning one would orphan them.
      action: { $ne: PRUNE_ACTION },
    };
    if (query.after) filter.sequence = { $gt: query.after.ref as number };
    const docs = await this.#log.collections.records
      .find(filter)
      .sort({ sequence: 1 })
      .limit(query.limit)
      .toArray();
    return docs.map((doc) => {
      const subjects = isPruned(doc)
        ? []
        : [...(doc.actor.type === 'user' ? [doc.actor.id] : []), ...doc.personal.map((p) => p.subject)];
      return { id: doc._id, ref: doc.sequence, createdAt: new Date(doc.appendedAt), subjects };
    });
  }

  async delete(items: PurgeCandidate[], before: Date): Promise<number> {
    if (items.length === 0) return 0;
    const due = await this.#log.collections.records
      .find(
        {
          _id: { $in: items.map((i) => i.id) },
          appendedAt: { $lt: before.toISOString() },
          pruned: { $ne: true },
        },
        { projection: { sequence: 1, hash: 1 } },
      )
      .sort({ sequence: 1 })
      .toArray();
    const unset = Object.fromEntries(PRUNABLE_FIELDS.map((field) => [field, '' as const]));
    let modified = 0;
    for (let i = 0; i < due.length; i += PRUNE_RECORDS_PER_EVENT) {
      const chunk = due.slice(i, i + PRUNE_RECORDS_PER_EVENT);
      // The evidence first: no body goes before the chain says which records go and why.
      const prune = await this.#log.recordPrune(
        chunk.map((d) => ({ sequence: d.sequence, hash: d.hash })),
        before,
        this.#source,
      );
      const result = await this.#log.collections.records.updateMany(
        { _id: { $in: chunk.map((d) => d._id) }, pruned: { $ne: true } },
        {
          $set: { pruned: true, prunedAt: this.#clock().toISOString(), prunedBy: prune.sequence },
          $unset: unset,
        },
      );
      modified += result.modifiedCount;
    }
    return modified;
  }
}
