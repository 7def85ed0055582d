/**
 * Messages as members see them: bodies opened, reactions summed, thread roots with their reply
 * count and last reply. A page costs one find, the AES-GCM opens (data keys cached), and a
 * reactions or replies lookup only when some message of the page has any.
 */
import type { Message } from '@parley/contracts';
import type { MessageDocument, TenantCollections } from '../store/collections.ts';
import type { BodySealer } from './body-sealer.ts';

const MAX_REACTORS_LISTED = 50;

export class MessageViews {
  readonly #sealer: BodySealer;

  constructor(sealer: BodySealer) {
    this.#sealer = sealer;
  }

  async one(c: TenantCollections, doc: MessageDocument): Promise<Message> {
    const [view] = await this.many(c, [doc]);
    return view as Message;
  }

  async many(c: TenantCollections, docs: MessageDocument[]): Promise<Message[]> {
    if (docs.length === 0) return [];
    const withReactions = docs.filter((d) => d.hasReactions).map((d) => d._id);
    const withReplies = docs.filter((d) => d.hasReplies).map((d) => d._id);
    const [texts, reactions, threads] = await Promise.all([
      Promise.all(
        docs.map((d) => (d.body && !d.deleted ? this.#sealer.open(c.tenant, d._id, d.body) : undefined)),
      ),
      this.#reactions(c, withReactions),
      this.#threads(c, docs[0]?.conversationId ?? '', withReplies),
    ]);
    return docs.map((d, i) => {
      const thread = threads.get(d._id);
      const text = texts[i]?.text;
      return {
        id: d._id,
        conversationId: d.conversationId,
        seq: d.seq,
        changeSeq: d.changeSeq,
        senderId: d.senderId,
        clientMessageId: d.clientMessageId,
        createdAt: d.createdAt.toISOString(),
        ...(text !== undefined ? { text } : {}),
        deleted: d.deleted,
        ...(d.deletedAt ? { deletedAt: d.deletedAt.toISOString() } : {}),
        ...(d.editedAt ? { editedAt: d.editedAt.toISOString() } : {}),
        ...(d.parentId ? { parentId: d.parentId } : {}),
        replyCount: thread?.count ?? 0,
        ...(thread?.last
          ? { lastReplyAt: thread.last.createdAt.toISOString(), lastReplyId: thread.last._id }
          : {}),
        mentions: d.mentions,
        reactions: reactions.get(d._id) ?? [],
        attachments: d.attachments,
      };
    });
  }

  async #reactions(c: TenantCollections, messageIds: string[]): Promise<Map<string, Message['reactions']>> {
    const byMessage = new Map<string, Message['reactions']>();
    if (messageIds.length === 0) return byMessage;
    const rows = await c.reactions
      .find({ messageId: { $in: messageIds } })
      .sort({ at: 1 })
      .toArray();
    for (const row of rows) {
      const list = byMessage.get(row.messageId) ?? [];
      let entry = list.find((r) => r.emoji === row.emoji);
      if (!entry) {
        entry = { emoji: row.emoji, count: 0, userIds: [] };
        list.push(entry);
      }
      entry.count++;
      if (entry.userIds.length < MAX_REACTORS_LISTED) entry.userIds.push(row.userId);
      byMessage.set(row.messageId, list);
    }
    return byMessage;
  }

  /** Reply counts and last replies, counted from the replies themselves (exact under concurrency). */
  async #threads(
    c: TenantCollections,
    conversationId: string,
    rootIds: string[],
  ): Promise<Map<string, { count: number; last?: MessageDocument }>> {
    const threads = new Map<string, { count: number; last?: MessageDocument }>();
    if (rootIds.length === 0) return threads;
    // One count and one latest reply per root that has replies (FerretDB has no $group $max).
    await Promise.all(
      rootIds.map(async (rootId) => {
        const [count, last] = await Promise.all([
          c.messages.countDocuments({ conversationId, parentId: rootId }),
          c.messages.findOne(
            { conversationId, parentId: rootId },
            { sort: { seq: -1 }, projection: { _id: 1, createdAt: 1, seq: 1 } },
          ),
        ]);
        threads.set(rootId, { count, ...(last ? { last: last as MessageDocument } : {}) });
      }),
    );
    return threads;
  }
}
