/**
 * What the search service reads from messaging, and nothing more: which conversations a user is
 * an active member of now (ids only, from the user's `user_conversations` document, for the permission filter of every search: the sidebar's
 * unread counts would cost a count per conversation), and the tenant's messages as they rest, in
 * id order (a reindex rebuilds the tenant's index from them). The log hands out bodies sealed
 * exactly as they rest, so no plaintext leaves messaging; search opens them with the tenant key,
 * as it opens the messages topic's.
 */
import type { MembershipList, MessageLogPage } from '@parley/contracts';
import type { MessagingStore } from '../store/collections.ts';
import type { Caller } from './caller.ts';
import { decodeCursor, encodeCursor } from './conversations.ts';
import { latestChangePayload } from './message-change-payload.ts';
import { activeConversationsOf } from './user-conversations.ts';

export class SearchFeed {
  readonly #store: MessagingStore;

  constructor(store: MessagingStore) {
    this.#store = store;
  }

  /** One `_id` read of the user's `user_conversations` document (rebuilt from `members` when absent). */
  async memberships(caller: Caller): Promise<MembershipList> {
    const c = await this.#store.of(caller.tenant);
    return { conversationIds: await activeConversationsOf(c, caller.userId) };
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
      messages: page.map(latestChangePayload),
      ...(docs.length > options.limit && last ? { nextCursor: encodeCursor(last._id) } : {}),
    };
  }
}
