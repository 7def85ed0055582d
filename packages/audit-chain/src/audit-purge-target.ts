/**
 * Retention for the audit log. Deleting records would break the chain and every proof, so an
 * expired record is *pruned*: its body (actor, action, metadata, sealed personal fields...) is
 * removed and its tenant, sequence, id, appendedAt, prevHash and hash stay. The chain still links,
 * the Merkle tree (built over hashes) still proves, and checkpoints still verify; the verifier
 * counts pruned records instead of re-hashing them.
 */
import type { PurgeCandidate, PurgeQuery, PurgeTarget } from '@parley/retention';
import type { AuditLog } from './audit-log.ts';
import { isPruned } from './record/audit-record.ts';

const BODY_FIELDS = [
  'occurredAt',
  'source',
  'actor',
  'action',
  'resource',
  'outcome',
  'metadata',
  'personal',
  'requestId',
];

export class AuditPurgeTarget implements PurgeTarget {
  readonly resource = 'audit' as const;
  readonly #log: AuditLog;
  readonly #clock: () => Date;

  constructor(log: AuditLog, clock: () => Date = () => new Date()) {
    this.#log = log;
    this.#clock = clock;
  }

  async listExpired(query: PurgeQuery): Promise<PurgeCandidate[]> {
    const filter: Record<string, unknown> = {
      tenant: this.#log.tenant,
      appendedAt: { $lt: query.before.toISOString() },
      pruned: { $ne: true },
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
    const unset = Object.fromEntries(BODY_FIELDS.map((field) => [field, '' as const]));
    const result = await this.#log.collections.records.updateMany(
      {
        _id: { $in: items.map((i) => i.id) },
        appendedAt: { $lt: before.toISOString() },
        pruned: { $ne: true },
      },
      { $set: { pruned: true, prunedAt: this.#clock().toISOString() }, $unset: unset },
    );
    return result.modifiedCount;
  }
}
