/**
 * The stored audit record and its chain hash. The hash is SHA-256 over the RFC 8785 canonical
 * JSON of every field except `hash` itself (so it covers `prevHash`, the sequence and the tenant,
 * and the *ciphertext* of personal fields). The Merkle leaf of a record is
 * leafHash(hash bytes): the tree commits to the chain, and a record whose body retention pruned
 * still has its place in every proof.
 */
import { createHash } from 'node:crypto';
import type { AuditActor, AuditOutcome, AuditResource } from '@parley/contracts';
import { leafHash } from '../merkle/hashing.ts';
import { canonicalRecordText } from './record-body.ts';

export { canonicalRecordText, recordBody } from './record-body.ts';

/** prevHash of record 0. */
export const GENESIS_HASH = '0'.repeat(64);

/** One data subject's personal fields, sealed under keyring key `subject:<userId>`. */
export interface SealedPersonalEntry {
  subject: string;
  keyName: string;
  /** base64 of the keyring ciphertext; unreadable for good once the key is destroyed. */
  ciphertext: string;
  /** Set (and ciphertext empty) when the fields were not stored, e.g. the subject was already erased. */
  withheld?: string;
}

export type AuditMetadata = Record<
  string,
  string | number | boolean | null | (string | number | boolean | null)[]
>;

/** Everything the chain hash covers. */
export interface AuditRecordBody {
  tenant: string;
  sequence: number;
  id: string;
  occurredAt: string;
  appendedAt: string;
  source: string;
  actor: AuditActor;
  action: string;
  resource: AuditResource;
  outcome: AuditOutcome;
  metadata: AuditMetadata;
  personal: SealedPersonalEntry[];
  requestId?: string;
  prevHash: string;
}

export interface AuditRecord extends AuditRecordBody {
  hash: string;
}

/** What remains of a record after retention pruned it: its place in the chain and the tree. */
export interface PrunedAuditRecord {
  tenant: string;
  sequence: number;
  id: string;
  appendedAt: string;
  prevHash: string;
  hash: string;
  pruned: true;
  prunedAt: string;
  /** Sequence of the prune record (action audit.records.pruned) that names this one. */
  prunedBy?: number;
}

export type StoredAuditRecord = AuditRecord | PrunedAuditRecord;

export function isPruned(record: StoredAuditRecord): record is PrunedAuditRecord {
  return (record as PrunedAuditRecord).pruned === true;
}

export function canonicalRecordBytes(record: AuditRecordBody): Buffer {
  return Buffer.from(canonicalRecordText(record), 'utf8');
}

export function computeRecordHash(record: AuditRecordBody): string {
  return createHash('sha256').update(canonicalRecordBytes(record)).digest('hex');
}

export function recordLeafHash(hash: string): Buffer {
  return leafHash(Buffer.from(hash, 'hex'));
}
