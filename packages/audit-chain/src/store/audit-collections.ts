/**
 * Where a tenant's audit log lives: its own database, collections `audit_records` (one document
 * per record, _id = the producer's record id, so a redelivered record is appended once) and
 * `audit_checkpoints` (_id = tree size). The unique (tenant, sequence) index is what lets many
 * writers share one chain without transactions: two writers that pick the same next sequence
 * cannot both succeed, and the loser re-reads the head and retries.
 */
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, MongoClient } from 'mongodb';
import type { SignedCheckpoint } from '../checkpoint/checkpoint.ts';
import type { StoredAuditRecord } from '../record/audit-record.ts';

export type AuditRecordDocument = StoredAuditRecord & { _id: string };
export type CheckpointDocument = SignedCheckpoint & { _id: number };

export const AUDIT_RECORDS_COLLECTION = 'audit_records';
export const AUDIT_CHECKPOINTS_COLLECTION = 'audit_checkpoints';
export const AUDIT_HEAD_COLLECTION = 'audit_head';
export const SEQUENCE_INDEX = 'tenant_sequence_unique';
/** The one document of audit_head: a hint of the chain's last sequence, never ahead of it for long. */
export const HEAD_HINT_ID = 'head';

export interface HeadHintDocument {
  _id: string;
  sequence: number;
  hash: string;
}

export interface AuditCollections {
  records: Collection<AuditRecordDocument>;
  checkpoints: Collection<CheckpointDocument>;
  head: Collection<HeadHintDocument>;
}

export function auditCollections(client: MongoClient, tenant: string): AuditCollections {
  const db = client.db(mongoDatabaseName(tenant));
  return {
    records: db.collection<AuditRecordDocument>(AUDIT_RECORDS_COLLECTION),
    checkpoints: db.collection<CheckpointDocument>(AUDIT_CHECKPOINTS_COLLECTION),
    head: db.collection<HeadHintDocument>(AUDIT_HEAD_COLLECTION),
  };
}

export async function ensureAuditIndexes(collections: AuditCollections): Promise<void> {
  await collections.records.createIndex({ tenant: 1, sequence: 1 }, { unique: true, name: SEQUENCE_INDEX });
  await collections.records.createIndex({ appendedAt: 1 }, { name: 'appended_at' });
  await collections.records.createIndex({ 'personal.subject': 1, sequence: 1 }, { name: 'personal_subject' });
  await collections.records.createIndex({ 'actor.id': 1, sequence: 1 }, { name: 'actor_id' });
}

/** Strips Mongo's _id: the record as it was hashed and as verifiers see it. */
export function fromDocument(doc: AuditRecordDocument): StoredAuditRecord {
  const { _id, ...record } = doc;
  return record as StoredAuditRecord;
}

export function checkpointFromDocument(doc: CheckpointDocument): SignedCheckpoint {
  const { _id, ...checkpoint } = doc;
  return checkpoint;
}
