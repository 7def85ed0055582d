/**
 * What the search service reads from messaging, and nothing more: which conversations a user is
 * an active member of now (ids only, for the permission filter of every search: the sidebar's
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
      messages: page.map(latestChangePayload),
      ...(docs.length > options.limit && last ? { nextCursor: encodeCursor(last._id) } : {}),
    };
  }
}
