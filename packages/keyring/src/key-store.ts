/**
 * Where keys live: database `parley_platform`, collection `tenant_keys`, as append-only records
 * (one document each) that only ever get inserted — never updated in place to change state.
 *
 * Why: a conditional update is not a safe compare-and-set on every Mongo-wire server. FerretDB
 * 1.24 applies updates as read-modify-write without isolation: concurrent
 * `updateOne({_id, v: 1}, {$set: {v: 2}})` calls can all "win", and concurrent `$inc`s lose
 * updates (measured on the local stack). An insert, though, is arbitrated by the unique index on
 * both FerretDB and MongoDB: of two processes inserting the same record, exactly one succeeds.
 * So every state change is an insert of a record with a unique slot, and each record carries its
 * Kafka event in the same insert (packages/outbox):
 *
 *   version    `<t>/<k>/v<N>`       slot `rotate:<sha256(requestKey)>`  the wrapped key material
 *   minimum    `<t>/<k>/min/v<N>`   slot `min:v<N>`                     min decryption version = max N
 *   lifecycle  `<t>/<k>/s<seq>`     slot `lifecycle:<seq>`              schedule | cancel | destroy; the last wins
 *   usage      `<t>/<k>/v<N>/u<b>`  slot `usage:v<N>:<b>`               one reserved block of uses each
 *
 * The primary version is the greatest version record; destruction deletes the version records
 * (the material), and the `destroy` lifecycle record keeps the versions' metadata.
 */
import { OUTBOX_PENDING_FIELD, type OutboxFields } from '@parley/outbox';
import type { Collection, Db } from 'mongodb';
import type { WrappedTenantKey } from './tenant-key-wrap.ts';

export const KEYS_COLLECTION = 'tenant_keys';

export type KeyState = 'enabled' | 'pending-destruction' | 'destroyed';

interface RecordBase extends OutboxFields {
  _id: string;
  tenant: string;
  keyName: string;
  /** Unique per key (index `tenant_key_slot`): what makes concurrent writers agree. */
  slot: string;
  createdAt: Date;
}

export interface VersionRecord extends RecordBase, WrappedTenantKey {
  record: 'version';
}

export interface MinimumRecord extends RecordBase {
  record: 'minimum';
  minDecryptionVersion: number;
}

export interface VersionSummary {
  version: number;
  masterKeyId: string;
  createdAt: Date;
}

export interface LifecycleRecord extends RecordBase {
  record: 'lifecycle';
  seq: number;
  action: 'schedule' | 'cancel' | 'destroy';
  destroyAt?: Date;
  waitingDays?: number;
  /** On `destroy`: what the versions were, kept after their material is deleted. */
  versions?: VersionSummary[];
}

export interface UsageRecord extends RecordBase {
  record: 'usage';
  version: number;
  block: number;
  /** Uses the block grants (the reserving process's block size). */
  uses: number;
}

export type KeyRecord = VersionRecord | MinimumRecord | LifecycleRecord | UsageRecord;

const prefix = (tenant: string, keyName: string) => `${tenant}/${keyName}`;
export const keyId = prefix;
export const versionRecordId = (tenant: string, keyName: string, version: number) =>
  `${prefix(tenant, keyName)}/v${version}`;
export const minimumRecordId = (tenant: string, keyName: string, version: number) =>
  `${prefix(tenant, keyName)}/min/v${version}`;
export const lifecycleRecordId = (tenant: string, keyName: string, seq: number) =>
  `${prefix(tenant, keyName)}/s${seq}`;
export const usageRecordId = (tenant: string, keyName: string, version: number, block: number) =>
  `${prefix(tenant, keyName)}/v${version}/u${block}`;

export function keysCollection(db: Db): Collection<KeyRecord> {
  return db.collection<KeyRecord>(KEYS_COLLECTION);
}

const KEY_INDEXES = [
  { key: { tenant: 1, keyName: 1, slot: 1 }, name: 'tenant_key_slot', unique: true },
  { key: { record: 1, action: 1, destroyAt: 1 }, name: 'destruction_due' },
  { key: { [OUTBOX_PENDING_FIELD]: 1 }, name: 'outbox_pending', sparse: true },
] as const;

export async function ensureKeyIndexes(collection: Collection<KeyRecord>): Promise<void> {
  // Indexes of the first (one document per key) layout: `tenant_key_name` would refuse a second
  // version record, and an index whose name we reuse with other keys must go before it is remade.
  const existing = await collection.indexes().catch(() => []);
  for (const index of existing) {
    const wanted = KEY_INDEXES.find((w) => w.name === index.name);
    const stale =
      index.name === 'tenant_key_name' ||
      (wanted && JSON.stringify(wanted.key) !== JSON.stringify(index.key));
    if (stale && index.name) await collection.dropIndex(index.name).catch(() => {});
  }
  for (const { key, ...options } of KEY_INDEXES) await collection.createIndex({ ...key }, options);
}
