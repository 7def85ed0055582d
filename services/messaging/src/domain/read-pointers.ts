/**
 * Read pointers (the last seq a member has read) and unread counts: messages after the pointer
 * that are not deleted and not the member's own, thread replies as much as root messages (the
 * pointer is the conversation's seq, which replies advance too: a reply the member has not read
 * is unread, and reading up to the conversation's last seq reads it), and of those the ones that
 * mention it or @channel. Cheap for a whole sidebar: a conversation whose seq has not passed the pointer costs
 * nothing, and a count stops at UNREAD_COUNT_CAP.
 */
import {
  type ConversationList,
  type ConversationSummary,
  type ReadPointer,
  UNREAD_COUNT_CAP,
  type UnreadList,
} from '@parley/contracts';
import type {
  ConversationDocument,
  MemberDocument,
  MessagingStore,
  TenantCollections,
} from '../store/collections.ts';
import type { Caller } from './caller.ts';
import { type Conversations, conversationView, decodeCursor, encodeCursor } from './conversations.ts';

/** A user's memberships, read in one query (more than this many conversations are not listed). */
const MAX_MEMBERSHIPS = 5_000;

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
    const target = Math.min(seq, conversation.seq);
    // Only forward: a late or repeated call never moves the pointer back.
    if (target > member.readSeq)
      await c.members.updateOne({ _id: member._id, readSeq: { $lt: target } }, { $set: { readSeq: target } });
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
    const { conversations, members } = await this.#memberships(c, caller.userId);
    const listed = conversations
      .filter((conversation) => options.archived || !conversation.archived)
      .sort((a, b) => activity(b) - activity(a) || (a._id < b._id ? -1 : 1));
    const offset = options.cursor ? Number(decodeCursor(options.cursor)) || 0 : 0;
    const page = listed.slice(offset, offset + options.limit);
    const rows: ConversationSummary[] = await Promise.all(
      page.map(async (conversation) => {
        const member = members.get(conversation._id) as MemberDocument;
        return {
          ...conversationView(conversation, member),
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
        .filter((conversation) => conversation.seq > (members.get(conversation._id)?.readSeq ?? 0))
        .map(async (conversation) => {
          const member = members.get(conversation._id) as MemberDocument;
          const counts = await this.#counts(c, conversation, member, caller.userId);
          return { conversationId: conversation._id, readSeq: member.readSeq, ...counts };
        }),
    );
    return { conversations: rows.filter((row) => row.unread > 0 || row.mentions > 0) };
  }

  async #memberships(c: TenantCollections, userId: string) {
    const memberDocs = await c.members.find({ userId, active: true }).limit(MAX_MEMBERSHIPS).toArray();
    const members = new Map(memberDocs.map((m) => [m.conversationId, m]));
    const conversations =
      memberDocs.length > 0
        ? await c.conversations.find({ _id: { $in: [...members.keys()] } }).toArray()
        : [];
    return { conversations, members };
  }

  async #counts(
    c: TenantCollections,
    conversation: ConversationDocument,
    member: MemberDocument,
    userId: string,
  ): Promise<{ unread: number; mentions: number }> {
    if (conversation.seq <= member.readSeq) return { unread: 0, mentions: 0 };
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
