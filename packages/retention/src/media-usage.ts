/**
 * The tenant's stored media bytes (contracts' MEDIA_USAGE_COLLECTION, one document), changed by
 * both of its writers: the media service when an upload is ready or a file deleted, and retention
 * when it purges expired files. The change is an `$inc` under a lock (kit's withDocumentLock, a
 * unique-key insert in the same collection): the local Mongo-wire server (FerretDB) loses
 * concurrent `$inc`s of one document, so without it uploads finishing together counted less
 * than they stored and the quota let a tenant past its limit. On MongoDB the lock only orders
 * what was already atomic. The media service also checks its uploads' reservations under the same
 * lock (withMediaUsageLock), so a check and the counts it reads cannot interleave with a change.
 */
import { MEDIA_USAGE_COLLECTION, MEDIA_USAGE_ID } from '@parley/contracts';
import { type DocumentLockDocument, upsertRetryingLostRace, withDocumentLock } from '@parley/kit';
import type { Collection, Db } from 'mongodb';

/** The lock's document, beside the usage document (readers look up MEDIA_USAGE_ID only). */
export const MEDIA_USAGE_LOCK_ID = 'storage-lock';

const usageOf = (db: Db) => db.collection<{ _id: string; bytes: number }>(MEDIA_USAGE_COLLECTION);

export async function addMediaUsage(db: Db, bytes: number): Promise<void> {
  if (bytes === 0) return;
  await withMediaUsageLock(db, () => incrementMediaUsage(db, bytes));
}

/** Runs `fn` as the only writer of the tenant's usage (not reentrant: no addMediaUsage inside). */
export function withMediaUsageLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  return withDocumentLock(
    usageOf(db) as unknown as Collection<DocumentLockDocument>,
    MEDIA_USAGE_LOCK_ID,
    fn,
  );
}

/** The change itself, for a caller that holds withMediaUsageLock already. */
export async function incrementMediaUsage(db: Db, bytes: number): Promise<void> {
  if (bytes === 0) return;
  // A tenant's first uploads can finish together, each creating the usage document.
  await upsertRetryingLostRace(() =>
    usageOf(db).updateOne({ _id: MEDIA_USAGE_ID }, { $inc: { bytes } }, { upsert: true }),
  );
}
