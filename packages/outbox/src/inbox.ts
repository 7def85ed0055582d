/**
 * The consumer side of exactly-once effects: Kafka delivers at least once, so a consumer records
 * each event id it has handled under a unique key and skips an id it has seen. The record is
 * written before the effect only when the effect is itself idempotent; otherwise write the effect
 * and the record in one document, as the outbox does.
 */
import { isDuplicateKeyError } from '@parley/kit';
import type { Db } from 'mongodb';

export const INBOX_COLLECTION = 'inbox';

export class InboxDeduplicator {
  /** True exactly once per (consumer group, event id) in this database. */
  async firstTime(db: Db, consumerGroup: string, eventId: string): Promise<boolean> {
    try {
      await db
        .collection<{ _id: string; group: string; at: Date }>(INBOX_COLLECTION)
        .insertOne({ _id: `${consumerGroup}:${eventId}`, group: consumerGroup, at: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Forgets the handling of an event, so a failed effect can be retried on redelivery. */
  async forget(db: Db, consumerGroup: string, eventId: string): Promise<void> {
    await db.collection<{ _id: string }>(INBOX_COLLECTION).deleteOne({ _id: `${consumerGroup}:${eventId}` });
  }
}
