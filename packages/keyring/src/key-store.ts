/**
 * Where tenant keys live: database `parley_platform`, collection `tenant_keys`, one document per
 * (tenant, key name) holding every version. One document per key is what makes rotation,
 * idempotency by request key, the minimum-version ratchet and destruction single-document
 * writes (FerretDB has no transactions), each carrying its Kafka event in the same write
 * (packages/outbox). Only wrapped key material is stored.
 */
import type { OutboxFields } from '@parley/outbox';
import { OUTBOX_PENDING_FIELD } from '@parley/outbox';
import type { Collection, Db } from 'mongodb';
import type { WrappedTenantKey } from './tenant-key-wrap.ts';

export const KEYS_COLLECTION = 'tenant_keys';

export type KeyState = 'enabled' | 'pending-destruction' | 'destroyed';

/** A version once destroyed keeps its metadata but not its material. */
export type StoredVersion = Omit<WrappedTenantKey, 'wrappedKey'> & { wrappedKey?: string };

export interface KeyDocument extends OutboxFields {
  /** `<tenant>/<keyName>` */
  _id: string;
  tenant: string;
  keyName: string;
  state: KeyState;
  primaryVersion: number;
  minDecryptionVersion: number;
  /** `v<N>` -> the version (a map, not an array, so a version is added or rewrapped by one $set path). */
  versions: Record<string, StoredVersion>;
  /** `v<N>` -> uses reserved so far (see usage-meter.ts). */
  usage: Record<string, number>;
  /** `r<sha256(requestKey)>` -> the version that request created (idempotent rotation). */
  rotations: Record<string, number>;
  destroyAt?: Date;
  waitingDays?: number;
  destroyedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const keyDocumentId = (tenant: string, keyName: string) => `${tenant}/${keyName}`;
export const versionField = (version: number) => `v${version}`;

export function keysCollection(db: Db): Collection<KeyDocument> {
  return db.collection<KeyDocument>(KEYS_COLLECTION);
}

export async function ensureKeyIndexes(collection: Collection<KeyDocument>): Promise<void> {
  await collection.createIndex({ tenant: 1, keyName: 1 }, { unique: true, name: 'tenant_key_name' });
  await collection.createIndex({ state: 1, destroyAt: 1 }, { name: 'destruction_due' });
  await collection.createIndex({ [OUTBOX_PENDING_FIELD]: 1 }, { name: 'outbox_pending', sparse: true });
}
