/**
 * What a verifier reads from prune records (see prune-record.ts): which stubs a prune record
 * vouches for. No Node module here, so the browser's verifier (browser/) shares it.
 */
import type { AuditRecord, StoredAuditRecord } from '../record/audit-record.ts';

export const PRUNE_ACTION = 'audit.records.pruned';
/** Records named per prune record (the metadata schema's array limit). */
export const PRUNE_RECORDS_PER_EVENT = 100;

/** The body fields retention removes; a pruned stub must carry none of them. */
export const PRUNABLE_FIELDS = [
  'occurredAt',
  'source',
  'actor',
  'action',
  'resource',
  'outcome',
  'metadata',
  'personal',
  'requestId',
] as const;

/** sequence -> hash that a (verified, unpruned) prune record authorises; empty for other records. */
export function pruneAuthorisations(record: StoredAuditRecord): Map<number, string> {
  const out = new Map<number, string>();
  if (isStub(record) || (record as AuditRecord).action !== PRUNE_ACTION) return out;
  const { sequences, hashes } = (record as AuditRecord).metadata;
  if (!Array.isArray(sequences) || !Array.isArray(hashes) || sequences.length !== hashes.length) return out;
  sequences.forEach((sequence, i) => {
    const hash = hashes[i];
    // A prune record can only speak for records before it.
    if (typeof sequence === 'number' && typeof hash === 'string' && sequence < record.sequence)
      out.set(sequence, hash);
  });
  return out;
}

/** True when a record marked pruned carries no body field: a genuine stub, nothing to re-hash. */
export function isBodiless(record: StoredAuditRecord): boolean {
  const fields = record as unknown as Record<string, unknown>;
  return PRUNABLE_FIELDS.every((field) => fields[field] === undefined);
}

function isStub(record: StoredAuditRecord): boolean {
  return (record as { pruned?: unknown }).pruned === true && isBodiless(record);
}
