/**
 * What the search service reads from messaging, and nothing more: which conversations a user is
 * an active member of now (ids only, for the permission filter of every search: the sidebar's
 * unread counts would cost a count per conversation), and the tenant's messages as they rest, in
 * id order (a reindex rebuilds the tenant's index from them). The log hands out bodies sealed
 * exactly as they rest, so no plaintext leaves messaging; search opens them with the tenant key,
 * as it opens the messages topic's.
 */
import type { MembershipList, MessageChangedPayload, MessageLogPage } from '@parley/contracts';
import type { MessageDocument, MessagingStore } from '../store/collections.ts';
import type { Caller } from './caller.ts';
import { decodeCursor, encodeCursor } from './conversations.ts';

/** Memberships read per query (a user in thousands of conversations pages through them). */
const MEMBERSHIP_BATCH = 1000;

export class SearchFeed {
  readonly #store: MessagingStore;

  constructor(store: MessagingStore) {
    this.#store = store;
  }

  async memberships(caller: Caller): Promise<MembershipList> {
    const c = await this.#store.of(caller.tenant);
    const conversationIds: string[] = [];
    for (let after: string | undefined; ; ) {
      const batch = await c.members
        .find(
          { userId: caller.userId, active: true, ...(after ? { _id: { $gt: after } } : {}) },
          { projection: { _id: 1, conversationId: 1 } },
        )
        .sort({ _id: 1 })
        .limit(MEMBERSHIP_BATCH)
        .toArray();
      for (const m of batch) conversationIds.push(m.conversationId);
      if (batch.length < MEMBERSHIP_BATCH) break;
      after = batch[batch.length - 1]?._id;
    }
    return { conversationIds };
  }

  async messageLog(tenant: string, options: { limit: number; cursor?: string }): Promise<MessageLogPage> {
    const c = await this.#store.of(tenant);
    const docs = await c.messages
      .find(options.cursor ? { _id: { $gt: decodeCursor(options.cursor) } } : {})
      .sort({ _id: 1 })
      .limit(options.limit + 1)
      .toArray();
    const page = docs.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      messages: page.map(logEntry),
      ...(docs.length > options.limit && last ? { nextCursor: encodeCursor(last._id) } : {}),
    };
  }
}

/** A message's current state in the shape of its latest change event (change-applier.ts's). */
function logEntry(message: MessageDocument): MessageChangedPayload {
  const edited = message.editedAt !== undefined && !message.deleted;
  const at = message.deleted
    ? (message.deletedAt ?? message.createdAt)
    : edited
      ? (message.editedAt as Date)
      : message.createdAt;
  return {
    conversationId: message.conversationId,
    messageId: message._id,
    seq: message.changeSeq,
    messageSeq: message.seq,
    kind: message.deleted ? 'message.deleted' : edited ? 'message.edited' : 'message.created',
    senderId: message.senderId,
    actorId: message.deleted ? (message.deletedBy ?? message.senderId) : message.senderId,
    at: at.toISOString(),
    createdAt: message.createdAt.toISOString(),
    ...(message.parentId ? { parentId: message.parentId } : {}),
    deleted: message.deleted,
    ...(message.body && !message.deleted ? { sealed: message.body } : {}),
    mentions: message.mentions,
    ...(message.attachments && message.attachments.length > 0 && !message.deleted
      ? { attachments: message.attachments.map((a) => ({ mediaId: a.mediaId })) }
      : {}),
  };
}
