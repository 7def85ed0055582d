/**
 * Read pointers (the last seq a member has read) and unread counts: messages after the pointer
 * that are not deleted and not the member's own, thread replies as much as root messages (the
 * pointer is the conversation's seq, which replies advance too: a reply the member has not read
 * is unread, and reading up to the conversation's last seq reads it), and of those the ones that
 * mention it or @channel. Cheap for a whole sidebar: a conversation whose seq has not passed the pointer costs
 * nothing, and a count stops at UNREAD_COUNT_CAP.
 *
 * The sidebar is the user's whole sidebar, however many conversations: memberships are read in
 * batches of MEMBERSHIP_BATCH (there was a silent cap at 5,000, beyond which conversations were
 * simply missing), the conversations' ordering fields only (projected), and the full documents
 * only of the page served.
 */
import {
  type ConversationList,
  type ConversationSummary,
  type ReadPointer,
  UNREAD_COUNT_CAP,
  type UnreadList,
} from '@parley/contracts';
import { withDocumentLock } from '@parley/kit';
import type {
  ConversationDocument,
  MemberDocument,
  MessagingStore,
  SeqCounterDocument,
  TenantCollections,
} from '../store/collections.ts';
import type { Caller } from './caller.ts';
import { type Conversations, decodeCursor, encodeCursor, memberLockId } from './conversations.ts';
import { countersOf, withPosition } from './seq-counters.ts';

/** Memberships per query, and conversation ids per `$in`: bounded queries, no bound on the total. */
const MEMBERSHIP_BATCH = 5_000;
const IDS_PER_QUERY = 5_000;
/** What ordering the sidebar and finding the unread need of a conversation. */
const ORDERING_FIELDS = { _id: 1, seq: 1, createdAt: 1, lastMessageAt: 1, archived: 1 } as const;
/** The outbox's fields are never needed here (they can be large). */
const NO_OUTBOX = { _outbox: 0, _outboxPending: 0 } as const;

export class ReadPointers {
  readonly #store: MessagingStore;
  readonly #conversations: Conversations;

  constructor(store: MessagingStore, conversations: Conversations) {
    this.#store = store;
    this.#conversations = conversations;
  }

  async markRead(caller: Caller, conversationId: string, seq: number): Promise<ReadPointer> {
    const {
      collections: c,
      conversation,
      member,
    } = await this.#conversations.requireMember(caller, conversationId);
    const target = Math.min(seq, conversation.seq ?? 0);
    // Only forward: a late or repeated call never moves the pointer back.
    if (target > member.readSeq)
      // Under the membership's lock (memberLockId): on FerretDB an unlocked update could write back
      // the membership as read before a concurrent removal.
      await withDocumentLock(c.locks, memberLockId(member._id), () =>
        c.members.updateOne({ _id: member._id, readSeq: { $lt: target } }, { $set: { readSeq: target } }),
      );
    const readSeq = Math.max(target, member.readSeq);
    const counts = await this.#counts(c, conversation, { ...member, readSeq }, caller.userId);
    return { conversationId, readSeq, ...counts };
  }

  /** The caller's sidebar: conversations by latest activity, with unread counts. */
  async sidebar(
    caller: Caller,
    options: { limit: number; cursor?: string; archived: boolean },
  ): Promise<ConversationList> {
    const c = await this.#store.of(caller.tenant);
    const { conversations, members, counters } = await this.#memberships(c, caller.userId);
    const listed = conversations
      .filter((conversation) => options.archived || !conversation.archived)
      .sort((a, b) => activity(b) - activity(a) || (a._id < b._id ? -1 : 1));
    const offset = options.cursor ? Number(decodeCursor(options.cursor)) || 0 : 0;
    const pageIds = listed.slice(offset, offset + options.limit).map((conversation) => conversation._id);
    const full = new Map(
      (await c.conversations.find({ _id: { $in: pageIds } }, { projection: NO_OUTBOX }).toArray()).map(
        (doc) => [doc._id, doc],
      ),
    );
    // In the order computed above; a conversation removed meanwhile is left out of the page.
    const page = pageIds.flatMap((id) => {
      const doc = full.get(id);
      return doc ? [withPosition(doc, counters.get(id))] : [];
    });
    const rows: ConversationSummary[] = await Promise.all(
      page.map(async (conversation) => {
        const member = members.get(conversation._id) as MemberDocument;
        return {
          ...(await this.#conversations.view(caller.tenant, conversation, member)),
          ...(await this.#counts(c, conversation, member, caller.userId)),
        };
      }),
    );
    return {
      conversations: rows,
      ...(offset + options.limit < listed.length
        ? { nextCursor: encodeCursor(String(offset + options.limit)) }
        : {}),
    };
  }

  async unread(caller: Caller): Promise<UnreadList> {
    const c = await this.#store.of(caller.tenant);
    const { conversations, members } = await this.#memberships(c, caller.userId);
    const rows = await Promise.all(
      conversations
        .filter((conversation) => (conversation.seq ?? 0) > (members.get(conversation._id)?.readSeq ?? 0))
        .map(async (conversation) => {
          const member = members.get(conversation._id) as MemberDocument;
          const counts = await this.#counts(c, conversation, member, caller.userId);
          return { conversationId: conversation._id, readSeq: member.readSeq, ...counts };
        }),
    );
    return { conversations: rows.filter((row) => row.unread > 0 || row.mentions > 0) };
  }

  /** Every active membership of the user, and the ordering fields of those conversations. */
  async #memberships(c: TenantCollections, userId: string) {
    const members = new Map<string, MemberDocument>();
    for (let after: string | undefined; ; ) {
      const batch = await c.members
        .find({ userId, active: true, ...(after ? { _id: { $gt: after } } : {}) }, { projection: NO_OUTBOX })
        .sort({ _id: 1 })
        .limit(MEMBERSHIP_BATCH)
        .toArray();
      for (const m of batch) members.set(m.conversationId, m);
      if (batch.length < MEMBERSHIP_BATCH) break;
      after = batch[batch.length - 1]?._id;
    }
    const ids = [...members.keys()];
    const conversations: ConversationDocument[] = [];
    const counters = new Map<string, SeqCounterDocument>();
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const slice = ids.slice(i, i + IDS_PER_QUERY);
      const [docs, sliceCounters] = await Promise.all([
        c.conversations.find({ _id: { $in: slice } }, { projection: ORDERING_FIELDS }).toArray(),
        countersOf(c, slice),
      ]);
      for (const [id, counter] of sliceCounters) counters.set(id, counter);
      // The seq and the activity are the counter's (seq-counters.ts), the old fields before it has one.
      for (const doc of docs) conversations.push(withPosition(doc, counters.get(doc._id)));
    }
    return { conversations, members, counters };
  }

  async #counts(
    c: TenantCollections,
    conversation: ConversationDocument,
    member: MemberDocument,
    userId: string,
  ): Promise<{ unread: number; mentions: number }> {
    if ((conversation.seq ?? 0) <= member.readSeq) return { unread: 0, mentions: 0 };
    const unreadFilter = {
      conversationId: conversation._id,
      seq: { $gt: member.readSeq },
      deleted: false,
      senderId: { $ne: userId },
    };
    const [unread, mentions] = await Promise.all([
      c.messages.countDocuments(unreadFilter, { limit: UNREAD_COUNT_CAP }),
      c.messages.countDocuments(
        { ...unreadFilter, $or: [{ 'mentions.users': userId }, { 'mentions.channel': true }] },
        { limit: UNREAD_COUNT_CAP },
      ),
    ]);
    return { unread, mentions };
  }
}

const activity = (c: ConversationDocument) => (c.lastMessageAt ?? c.createdAt).getTime();
