/**
 * The tenant's stored media bytes (contracts' MEDIA_USAGE_COLLECTION, one document), changed by
 * both of its writers: the media service when an upload is ready or a file deleted, and retention
 * when it purges expired files. The change is an `$inc` under a lock (kit's withDocumentLock, a
 * unique-key insert in the same collection): the local Mongo-wire server (FerretDB) loses
 * concurrent `$inc`s of one document, so without it uploads finishing together counted less
 * than they stored and the quota let a tenant past its limit. On MongoDB the lock only orders
 * what was already atomic.
 */
import { MEDIA_USAGE_COLLECTION, MEDIA_USAGE_ID } from '@parley/contracts';
import { type DocumentLockDocument, upsertRetryingLostRace, withDocumentLock } from '@parley/kit';
import type { Collection, Db } from 'mongodb';

/** The lock's document, beside the usage document (readers look up MEDIA_USAGE_ID only). */
export const MEDIA_USAGE_LOCK_ID = 'storage-lock';

export async function addMediaUsage(db: Db, bytes: number): Promise<void> {
  if (bytes === 0) return;
  const usage = db.collection<{ _id: string; bytes: number }>(MEDIA_USAGE_COLLECTION);
  const locks = usage as unknown as Collection<DocumentLockDocument>;
  await withDocumentLock(locks, MEDIA_USAGE_LOCK_ID, () =>
    // A tenant's first uploads can finish together, each creating the usage document.
    upsertRetryingLostRace(() =>
      usage.updateOne({ _id: MEDIA_USAGE_ID }, { $inc: { bytes } }, { upsert: true }),
    ),
  );
}
