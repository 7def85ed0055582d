/**
 * The keyring's first storage layout kept one document per key (`_id` `<tenant>/<keyName>`,
 * versions embedded) and changed it with conditional updates, which FerretDB does not isolate.
 * This converts such documents into records (see key-store.ts) once, at ensureIndexes: the wrapped
 * material is the same bytes under the same AAD, so data sealed before stays readable. Events
 * still pending in an old document are dropped (only caches listened to them).
 */
import { isDuplicateKeyError } from '@parley/kit';
import type { Collection } from 'mongodb';
import type { KeyRecord, LifecycleRecord, VersionRecord, VersionSummary } from './key-store.ts';
import { lifecycleRecordId, minimumRecordId, versionRecordId } from './key-store.ts';
import type { KEK_WRAPPING } from './tenant-key-wrap.ts';

interface LegacyVersion {
  version: number;
  masterKeyId: string;
  wrappedKey?: string;
  wrapping?: typeof KEK_WRAPPING;
  createdAt: Date;
}

interface LegacyKeyDocument {
  _id: string;
  tenant: string;
  keyName: string;
  state: 'enabled' | 'pending-destruction' | 'destroyed';
  minDecryptionVersion: number;
  versions: Record<string, LegacyVersion>;
  destroyAt?: Date;
  waitingDays?: number;
  destroyedAt?: Date;
  updatedAt: Date;
}

async function insertIgnoringDuplicates(collection: Collection<KeyRecord>, record: KeyRecord): Promise<void> {
  try {
    await collection.insertOne(record);
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

export function legacyRecords(doc: LegacyKeyDocument): KeyRecord[] {
  const { tenant, keyName } = doc;
  const versions = Object.values(doc.versions ?? {}).sort((a, b) => a.version - b.version);
  const records: KeyRecord[] = [];
  const summaries: VersionSummary[] = versions.map(({ version, masterKeyId, createdAt }) => ({
    version,
    masterKeyId,
    createdAt,
  }));
  if (doc.state !== 'destroyed') {
    for (const v of versions) {
      if (typeof v.wrappedKey !== 'string') continue;
      const record: VersionRecord = {
        _id: versionRecordId(tenant, keyName, v.version),
        record: 'version',
        tenant,
        keyName,
        slot: v.version === 1 ? 'rotate:create' : `rotate:legacy-v${v.version}`,
        version: v.version,
        masterKeyId: v.masterKeyId,
        wrappedKey: v.wrappedKey,
        // The first layout predates KEKs; a document that names its wrapping keeps it.
        ...(v.wrapping ? { wrapping: v.wrapping } : {}),
        createdAt: v.createdAt,
      };
      records.push(record);
    }
  }
  if (doc.minDecryptionVersion > 1) {
    records.push({
      _id: minimumRecordId(tenant, keyName, doc.minDecryptionVersion),
      record: 'minimum',
      tenant,
      keyName,
      slot: `min:v${doc.minDecryptionVersion}`,
      minDecryptionVersion: doc.minDecryptionVersion,
      createdAt: doc.updatedAt,
    });
  }
  if (doc.state !== 'enabled') {
    const lifecycle: LifecycleRecord = {
      _id: lifecycleRecordId(tenant, keyName, 1),
      record: 'lifecycle',
      tenant,
      keyName,
      slot: 'lifecycle:1',
      seq: 1,
      action: doc.state === 'destroyed' ? 'destroy' : 'schedule',
      ...(doc.state === 'destroyed'
        ? { versions: summaries }
        : { destroyAt: doc.destroyAt ?? new Date(), waitingDays: doc.waitingDays ?? 7 }),
      createdAt: doc.destroyedAt ?? doc.updatedAt,
    };
    records.push(lifecycle);
  }
  return records;
}

/** Converts every legacy document; returns how many. Safe to run from several processes at once. */
export async function migrateLegacyKeyDocuments(collection: Collection<KeyRecord>): Promise<number> {
  const legacy = (await collection
    .find({ record: { $exists: false } } as never)
    .toArray()) as unknown as LegacyKeyDocument[];
  for (const doc of legacy) {
    for (const record of legacyRecords(doc)) await insertIgnoringDuplicates(collection, record);
    await collection.deleteOne({ _id: doc._id } as never);
  }
  return legacy.length;
}
