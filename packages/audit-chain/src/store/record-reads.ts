/** Reading one tenant's stored audit records: by sequence, by id, filtered pages, about a person. */
import type { StoredAuditRecord } from '../record/audit-record.ts';
import { type AuditCollections, fromDocument } from './audit-collections.ts';

export interface RecordQuery {
  afterSequence?: number;
  limit?: number;
  action?: string;
  actorId?: string;
  subject?: string;
}

export class RecordReads {
  readonly #tenant: string;
  readonly #collections: AuditCollections;

  constructor(tenant: string, collections: AuditCollections) {
    this.#tenant = tenant;
    this.#collections = collections;
  }

  async bySequence(sequence: number): Promise<StoredAuditRecord | undefined> {
    const doc = await this.#collections.records.findOne({ tenant: this.#tenant, sequence });
    return doc ? fromDocument(doc) : undefined;
  }

  async byId(id: string): Promise<StoredAuditRecord | undefined> {
    const doc = await this.#collections.records.findOne({ _id: id });
    return doc ? fromDocument(doc) : undefined;
  }

  async list(query: RecordQuery): Promise<StoredAuditRecord[]> {
    const filter: Record<string, unknown> = { tenant: this.#tenant };
    if (query.afterSequence !== undefined) filter.sequence = { $gt: query.afterSequence };
    if (query.action) filter.action = query.action;
    if (query.actorId) filter['actor.id'] = query.actorId;
    if (query.subject) filter['personal.subject'] = query.subject;
    const docs = await this.#collections.records
      .find(filter)
      .sort({ sequence: 1 })
      .limit(Math.min(query.limit ?? 100, 1000))
      .toArray();
    return docs.map(fromDocument);
  }

  /** Every record about a person (as actor or as a data subject), in order: for GDPR export. */
  async about(userId: string, limit = 10_000): Promise<StoredAuditRecord[]> {
    const docs = await this.#collections.records
      .find({ tenant: this.#tenant, $or: [{ 'actor.id': userId }, { 'personal.subject': userId }] })
      .sort({ sequence: 1 })
      .limit(limit)
      .toArray();
    return docs.map(fromDocument);
  }
}
