/**
 * The compliance service's own audit records (holds, GDPR jobs, consents, retention runs), with
 * source "compliance". A change and its audit record must never part ways, and FerretDB has no
 * multi-document transactions, so each record is made durable in the same single-document write
 * as the change it describes, in one of two ways:
 * - documents this service writes (consents, GDPR jobs, rounds, settlements) carry the record
 *   itself in `_audit` (with `_auditPending`), like @parley/outbox's withOutbox; `settle()` then
 *   appends it and removes it;
 * - documents written through @parley/retention (legal holds, retention runs) are themselves the
 *   evidence: their records get ids derived from the document (`derivedRecordId`), so the record
 *   can be rebuilt from the document at any time.
 * Either way the chain deduplicates by record id, so the inline append and AuditTrailSweeper
 * (which finishes what a crash left behind) never append a record twice.
 */
import { randomUUID } from 'node:crypto';
import type { AuditActor, AuditOutcome, AuditRecordInput } from '@parley/contracts';
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import type { AuditLogs } from './audit-logs.ts';

type AuditMetadata = NonNullable<AuditRecordInput['metadata']>;

export const PENDING_AUDIT_FIELD = '_audit';
export const PENDING_AUDIT_FLAG = '_auditPending';

/** Fields a document carries while its audit records are not yet in the chain. */
export interface PendingAuditFields {
  [PENDING_AUDIT_FIELD]?: AuditRecordInput[];
  [PENDING_AUDIT_FLAG]?: boolean;
}

export interface TrailEntry {
  actor: AuditActor;
  action: string;
  resource: { type: string; id?: string };
  outcome: AuditOutcome;
  metadata?: Record<string, string | number | boolean | null | (string | number | boolean | null)[]>;
  personal?: { subject: string; fields: Record<string, string | number | boolean | null> }[];
}

/** The record id of the audit record a stored document implies, e.g. `compliance:legal-hold.placed:<id>`. */
export function derivedRecordId(action: string, documentId: string): string {
  return `compliance:${action}:${documentId}`;
}

/** A new document carrying its audit records: `insertOne(withPendingAudit(doc, [record]))`. */
export function withPendingAudit<T extends object>(
  document: T,
  records: AuditRecordInput[],
): T & PendingAuditFields {
  return { ...document, [PENDING_AUDIT_FIELD]: records, [PENDING_AUDIT_FLAG]: records.length > 0 };
}

/** Strips the pending-audit fields before a document leaves the store layer. */
export function withoutPendingAudit<T extends PendingAuditFields>(
  document: T,
): Omit<T, keyof PendingAuditFields> {
  const { [PENDING_AUDIT_FIELD]: _records, [PENDING_AUDIT_FLAG]: _pending, ...rest } = document;
  return rest;
}

export class AuditTrail {
  readonly #logs: AuditLogs;

  constructor(logs: AuditLogs) {
    this.#logs = logs;
  }

  /** The record an entry becomes, its id and time fixed now (or as given), before anything is written. */
  entry(entry: TrailEntry, options: { id?: string; occurredAt?: string } = {}): AuditRecordInput {
    return {
      id: options.id ?? randomUUID(),
      occurredAt: options.occurredAt ?? new Date().toISOString(),
      actor: entry.actor,
      action: entry.action,
      resource: entry.resource,
      outcome: entry.outcome,
      ...(entry.metadata ? { metadata: entry.metadata as AuditMetadata } : {}),
      ...(entry.personal ? { personal: entry.personal } : {}),
    };
  }

  /**
   * Appends a record straight away. Only for records whose id is derived from a stored document
   * (so the sweeper can rebuild it), or that describe no write of this service's own.
   */
  async record(tenant: string, entry: TrailEntry, options: { id?: string; occurredAt?: string } = {}) {
    await this.append(tenant, [this.entry(entry, options)]);
  }

  async append(tenant: string, records: AuditRecordInput[]): Promise<void> {
    if (records.length > 0) await this.#logs.append(tenant, records, 'compliance');
  }

  /**
   * Appends the records a document carries, then removes them from it. The removal only matches
   * while the document still holds exactly these records; a crash before it leaves them pending
   * and the sweeper appends them again, which the chain answers as duplicates.
   */
  async settle<T extends Document>(
    tenant: string,
    collection: Collection<T>,
    documentId: unknown,
    records: AuditRecordInput[],
  ): Promise<void> {
    await this.append(tenant, records);
    const unchanged = { _id: documentId, [PENDING_AUDIT_FIELD]: records } as Filter<T>;
    const clear = {
      $unset: { [PENDING_AUDIT_FIELD]: '', [PENDING_AUDIT_FLAG]: '' },
    } as unknown as UpdateFilter<T>;
    await collection.updateOne(unchanged, clear);
  }
}

/** Who asked: a person's id as given by the calling service, or the service itself. */
export function actorFrom(requestedBy: string): AuditActor {
  return requestedBy.startsWith('service:')
    ? { type: 'service', id: requestedBy.slice('service:'.length) || 'unknown' }
    : { type: 'user', id: requestedBy };
}
