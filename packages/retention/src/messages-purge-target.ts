/**
 * The purge target for a tenant's messages, as the messaging service keeps them in the tenant
 * database (services/messaging/README.md): `messages` (createdAt, conversationId, senderId; the
 * sealed body), with the bodies edits replaced in `message_edits` and the reactions in
 * `message_reactions`. One definition, so the operator's scheduled runs and the compliance
 * service's on-demand runs purge the same way.
 *
 * Purging a message removes all of it, and removes it from Kafka too: the tenant's messages topic
 * is a compacted changelog keyed by message id, so before the documents go, a
 * `message_erasures` record carries the tombstone request in its outbox (packages/outbox), which
 * messaging's relay publishes as a record with the message id as key and no value. Order matters:
 * the tombstone request first, then the deletes, so a crash in between leaves a message that the
 * next run selects and tombstones again (idempotent), never a deleted message whose old records
 * stay readable in the topic.
 */
import { createEvent, MessageErasedMarker } from '@parley/contracts';
import { withOutbox } from '@parley/outbox';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import { MongoPurgeTarget } from './mongo-purge-target.ts';
import type { PurgeCandidate, PurgeQuery, PurgeTarget } from './purge-target.ts';

/** Where tombstone requests wait for messaging's relay (one per erased message id). */
export const MESSAGE_ERASURES_COLLECTION = 'message_erasures';

export class MessagesPurgeTarget implements PurgeTarget {
  readonly resource = 'messages' as const;
  readonly #tenant: string;
  readonly #db: Db;
  readonly #list: MongoPurgeTarget;

  constructor(client: MongoClient, tenant: string) {
    this.#tenant = tenant;
    this.#db = client.db(mongoDatabaseName(tenant));
    this.#list = new MongoPurgeTarget({
      resource: 'messages',
      collection: this.#db.collection('messages'),
      createdAtField: 'createdAt',
      conversationField: 'conversationId',
      subjectFields: ['senderId'],
    });
  }

  listExpired(query: PurgeQuery): Promise<PurgeCandidate[]> {
    return this.#list.listExpired(query);
  }

  async delete(items: PurgeCandidate[], before: Date): Promise<number> {
    if (items.length === 0) return 0;
    const messages = this.#db.collection<{ _id: string; conversationId?: string; createdAt: Date }>(
      'messages',
    );
    // Re-checked now: a message whose time changed since listing is not expired.
    const expired = await messages
      .find({ _id: { $in: items.map((item) => String(item.ref ?? item.id)) }, createdAt: { $lt: before } })
      .project<{ _id: string; conversationId?: string }>({ _id: 1, conversationId: 1 })
      .toArray();
    if (expired.length === 0) return 0;
    const erasures = this.#db.collection(MESSAGE_ERASURES_COLLECTION) as Collection<Document>;
    const erasedAt = new Date();
    for (const message of expired) {
      const event = createEvent(MessageErasedMarker, {
        tenant: this.#tenant,
        source: 'retention',
        payload: { conversationId: message.conversationId ?? '', messageId: message._id },
      });
      // Keyed by message id: a run repeated after a crash asks again only if nothing is pending.
      await erasures.updateOne(
        { _id: message._id as never },
        {
          $set: {
            conversationId: message.conversationId,
            erasedAt,
            reason: 'retention',
            ...withOutbox({}, [event]),
          },
        },
        { upsert: true },
      );
    }
    const ids = expired.map((m) => m._id);
    await this.#db.collection('message_edits').deleteMany({ messageId: { $in: ids } });
    await this.#db.collection('message_reactions').deleteMany({ messageId: { $in: ids } });
    const result = await messages.deleteMany({ _id: { $in: ids }, createdAt: { $lt: before } });
    return result.deletedCount;
  }
}

export function messagesPurgeTarget(client: MongoClient, tenant: string): MessagesPurgeTarget {
  return new MessagesPurgeTarget(client, tenant);
}
