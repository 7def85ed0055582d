/**
 * The fields an audit record's chain hash covers, and their RFC 8785 canonical JSON. No Node
 * module here: the browser's verifier (browser/) hashes exactly this text with Web Crypto.
 */
import canonicalize from 'canonicalize';
import type { AuditRecordBody } from './audit-record.ts';

const BODY_FIELDS = [
  'tenant',
  'sequence',
  'id',
  'occurredAt',
  'appendedAt',
  'source',
  'actor',
  'action',
  'resource',
  'outcome',
  'metadata',
  'personal',
  'requestId',
  'prevHash',
] as const;

/** The hashed fields only, whatever else a stored document carries (_id, pruned marks...). */
export function recordBody(record: AuditRecordBody): AuditRecordBody {
  const body: Record<string, unknown> = {};
  for (const field of BODY_FIELDS) {
    const value = (record as unknown as Record<string, unknown>)[field];
    if (value !== undefined) body[field] = value;
  }
  return body as unknown as AuditRecordBody;
}

export function canonicalRecordText(record: AuditRecordBody): string {
  const text = canonicalize(recordBody(record));
  if (text === undefined) throw new Error('an audit record must be JSON');
  return text;
}
