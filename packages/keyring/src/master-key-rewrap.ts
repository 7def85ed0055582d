/**
 * Moving stored tenant key versions to new wrapping, by compare-and-set on the exact material
 * read: to the master key and the key's KEK (versions written before KEKs), and to the primary
 * master key (master key rotation). Destroyed keys are skipped; the sweeper deletes their
 * material.
 */
import { KeyStateConflictError } from './errors.ts';
import { type KeyAccess, MAX_CONTENTION_RETRIES } from './key-access.ts';
import type { VersionRecord } from './key-store.ts';
import { KEK_WRAPPING, rewrapTenantKey } from './tenant-key-wrap.ts';

/**
 * Moves every version still wrapped under the master key alone (written before KEKs) to the
 * master key and its key's KEK. Racing migrations wrap the same bytes under the same KEK, so
 * whichever write stands is right. Returns how many versions it moved.
 */
export async function wrapWithKeyEncryptionKeys(access: KeyAccess): Promise<number> {
  const legacy = (await access.keys
    .find({ record: 'version', wrapping: { $exists: false } } as never)
    .toArray()) as VersionRecord[];
  let moved = 0;
  for (const version of legacy) {
    const kek = await access.kekForRewrap(version);
    if (!kek) continue;
    const rewrapped = rewrapTenantKey(access.masterKeys, kek, version.tenant, version.keyName, version);
    const result = await access.keys.updateOne(
      { _id: version._id, wrappedKey: version.wrappedKey, wrapping: { $exists: false } } as never,
      {
        $set: {
          masterKeyId: rewrapped.masterKeyId,
          wrappedKey: rewrapped.wrappedKey,
          wrapping: KEK_WRAPPING,
        },
      },
    );
    moved += result.modifiedCount;
  }
  if (moved > 0) access.cache.clear();
  return moved;
}

/**
 * Master key rotation: re-wraps every tenant key version still under an older master key with
 * the primary one, and checks again until a full pass finds none (a concurrent writer could
 * undo a rewrap on a server without isolated updates). Once it returns, older master keys can
 * be unmounted. Returns how many versions it moved.
 */
export async function rewrapUnderPrimaryMasterKey(access: KeyAccess): Promise<number> {
  const primaryId = access.masterKeys.primaryId;
  let moved = 0;
  // A destroyed key's leftover material (its KEK gone): nothing to keep readable, and the
  // sweeper deletes it; not counted as stale.
  const unreadable = new Set<string>();
  for (let pass = 0; pass < MAX_CONTENTION_RETRIES; pass++) {
    const stale = (
      (await access.keys
        .find({ record: 'version', masterKeyId: { $ne: primaryId } } as never)
        .toArray()) as VersionRecord[]
    ).filter((version) => !unreadable.has(version._id));
    if (stale.length === 0) return moved;
    for (const version of stale) {
      const kek = await access.kekForRewrap(version);
      if (!kek) {
        unreadable.add(version._id);
        continue;
      }
      const rewrapped = rewrapTenantKey(access.masterKeys, kek, version.tenant, version.keyName, version);
      const result = await access.keys.updateOne(
        { _id: version._id, masterKeyId: version.masterKeyId } as never,
        {
          $set: {
            masterKeyId: rewrapped.masterKeyId,
            wrappedKey: rewrapped.wrappedKey,
            wrapping: KEK_WRAPPING,
          },
        },
      );
      moved += result.modifiedCount;
    }
    access.cache.clear();
  }
  throw new KeyStateConflictError('Tenant keys kept changing during the master key rewrap; run it again');
}
