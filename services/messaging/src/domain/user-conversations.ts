/**
 * Each user's active conversations as one document (`user_conversations`, `_id: <userId>` in the
 * tenant's database): the ids search's permission filter needs on every query (`GET
 * /memberships`), read by `_id` instead of by `members.find({userId, active})`. On the local
 * FerretDB that find is a sequential scan of the tenant's whole `members` collection decoding
 * every member document (no index or sort pushdown): p50 107 ms for 250 memberships in the
 * search benchmark's tenant, against one `_id` read.
 *
 * The document is derived from `members` and never ahead of or behind it once a change has
 * answered (a removed member finds nothing at the next search: no cache anywhere):
 * - Every change of a user's active memberships (join, add, re-join, leave, removal, a GDPR
 *   erasure's end of them) runs under the user's lock (`user:<userId>` in `message_locks`, kit's
 *   withDocumentLock), which is the only way any writer touches this document: FerretDB rewrites
 *   a document whole and unisolated, so two concurrent `$addToSet`/`$pull`s of one user (two joins
 *   at once) would lose one, and a conditional update would let both through.
 * - Under that lock: mark the document `pendingAt`, write the membership, then add or remove the
 *   id and clear the mark in one update. A crash in between leaves the mark; a reader that finds
 *   it (or no document at all: a user from before this document existed, or never searched)
 *   rebuilds it from `members` under the same lock. So existing data needs no migration job.
 * - A user without a document gets none from a change (only a reader builds it, from `members`
 *   in full), so a partial set is never written; a change that finds the mark of a crashed one
 *   removes the document instead of applying its delta to a set that may be wrong.
 *
 * Lock order: the user's lock, then a membership's or a conversation's (nothing takes them the
 * other way round).
 */
import { withDocumentLock } from '@parley/kit';
import type { TenantCollections } from '../store/collections.ts';

/** The lock of a user's `user_conversations` document (message_locks; message ids never start so). */
export const userLockId = (userId: string) => `user:${userId}`;

/** Memberships read per query while rebuilding (a user in thousands of conversations pages). */
const MEMBERSHIP_BATCH = 1000;

/**
 * Runs `write`, a change of `userId`'s membership of `conversationId` that answers whether the
 * user is an active member of it afterwards, and records that in the user's document, under the
 * user's lock.
 */
export async function changeMembership<T>(
  c: TenantCollections,
  userId: string,
  conversationId: string,
  write: () => Promise<{ result: T; active: boolean }>,
): Promise<T> {
  return withDocumentLock(c.locks, userLockId(userId), async () => {
    // Only a document without a mark is changed by a delta: one a crashed change left marked may
    // be wrong, and only a rebuild from `members` makes it right.
    const marked = await c.userConversations.updateOne(
      { _id: userId, pendingAt: { $exists: false } },
      { $set: { pendingAt: new Date() } },
    );
    // On a failure the mark stays: the next reader rebuilds from `members`, whatever was written.
    const { result, active } = await write();
    if (marked.matchedCount > 0)
      await c.userConversations.updateOne(
        { _id: userId },
        active
          ? { $addToSet: { conversationIds: conversationId }, $unset: { pendingAt: '' } }
          : { $pull: { conversationIds: conversationId }, $unset: { pendingAt: '' } },
      );
    // None, or one left marked by a crashed change: gone, so the next reader rebuilds it.
    else await c.userConversations.deleteOne({ _id: userId });
    return result;
  });
}

/** Removes the user's document (a GDPR erasure, once their memberships are gone), under its lock. */
export async function forgetUser(c: TenantCollections, userId: string): Promise<void> {
  await withDocumentLock(c.locks, userLockId(userId), () => c.userConversations.deleteOne({ _id: userId }));
}

/** The ids of the conversations `userId` is an active member of now (archived included). */
export async function activeConversationsOf(c: TenantCollections, userId: string): Promise<string[]> {
  const doc = await c.userConversations.findOne({ _id: userId });
  if (doc && !doc.pendingAt) return doc.conversationIds;
  // Absent, or a change in flight (or crashed): wait for the writer, rebuild if still needed.
  return withDocumentLock(c.locks, userLockId(userId), async () => {
    const current = await c.userConversations.findOne({ _id: userId });
    if (current && !current.pendingAt) return current.conversationIds;
    const conversationIds = await scanMembers(c, userId);
    await c.userConversations.replaceOne(
      { _id: userId },
      { conversationIds, builtAt: new Date() },
      { upsert: true },
    );
    return conversationIds;
  });
}

/** The active memberships of `userId` as `members` holds them (the slow query the document replaces). */
export async function scanMembers(c: TenantCollections, userId: string): Promise<string[]> {
  const conversationIds: string[] = [];
  for (let after: string | undefined; ; ) {
    const batch = await c.members
      .find(
        { userId, active: true, ...(after ? { _id: { $gt: after } } : {}) },
        { projection: { _id: 1, conversationId: 1 } },
      )
      .sort({ _id: 1 })
      .limit(MEMBERSHIP_BATCH)
      .toArray();
    for (const m of batch) conversationIds.push(m.conversationId);
    if (batch.length < MEMBERSHIP_BATCH) break;
    after = batch[batch.length - 1]?._id;
  }
  return conversationIds;
}
