/**
 * The one thing retention needs from a store: list what a rule selects, a page at a time, and delete
 * some of it. Messaging, media and the audit chain each provide one; MongoPurgeTarget covers a
 * plain collection, S3MediaPurgeTarget a tenant's media bucket.
 */
import type { RetentionResource } from './policy.ts';

export interface PurgeCandidate {
  /** Printable id, for run records and dry runs. */
  id: string;
  /** The store's own key (e.g. an ObjectId), handed back to delete(). */
  ref?: unknown;
  createdAt: Date;
  conversationId?: string | undefined;
  /** The people the item is about (author, owner, uploader): a hold on any of them keeps it. */
  subjects?: string[] | undefined;
}

export interface PurgeCursor {
  createdAt: Date;
  id: string;
  ref?: unknown;
}

export interface PurgeQuery {
  before: Date;
  conversationIds?: string[] | undefined;
  excludeConversationIds?: string[] | undefined;
  after?: PurgeCursor | undefined;
  limit: number;
}

export interface PurgeTarget {
  readonly resource: RetentionResource;
  /**
   * Items created before `before`, in an order the target keeps stable ((createdAt, id) for Mongo,
   * key order for S3), strictly after `after` (the last item of the previous page). A page shorter
   * than `limit` means there is nothing more.
   */
  listExpired(query: PurgeQuery): Promise<PurgeCandidate[]>;
  /** Deletes the items if they are still older than `before`; returns how many went. */
  delete(items: PurgeCandidate[], before: Date): Promise<number>;
}

export type PurgeTargets = Partial<Record<RetentionResource, PurgeTarget>>;
