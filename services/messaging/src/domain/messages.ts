/**
 * What members do to messages: send (idempotent on the client message id), edit (the sender
 * only; the replaced text kept sealed in `message_edits` for compliance, never served), delete
 * (the sender, or the conversation's owner or admins: the content goes, a tombstone keeps the
 * seq), react (one per user and emoji). Each change takes the conversation's next seq through
 * the ledger and is applied by the ChangeApplier (see seq-ledger.ts for why this is gap-free).
 * A message under legal hold (its tenant, conversation or sender) is neither edited nor deleted
 * (409 `legal-hold`, legal-holds.ts): the hold is asked before the seq is taken.
 */
import type { Message, SendMessageBody } from '@parley/contracts';
import type { MessageDocument } from '../store/collections.ts';
import type { AttachmentBinder } from './attachment-binder.ts';
import type { BodySealer } from './body-sealer.ts';
import { type Caller, isTenantAdmin } from './caller.ts';
import type { ChangeApplier } from './change-applier.ts';
import type { Conversations, Membership } from './conversations.ts';
import { messageIdFor, reactionId } from './ids.ts';
import { assertChangeable } from './legal-holds.ts';
import { parseMentions } from './mentions.ts';
import type { MessageViews } from './message-views.ts';
import { messagingProblems } from './messaging-problems.ts';
import type { SeqLedger } from './seq-ledger.ts';

export interface MessagesDependencies {
  conversations: Conversations;
  ledger: SeqLedger;
  applier: ChangeApplier;
  sealer: BodySealer;
  views: MessageViews;
  attachments: AttachmentBinder;
}

export class Messages {
  readonly #d: MessagesDependencies;

  constructor(dependencies: MessagesDependencies) {
    this.#d = dependencies;
  }

  async send(
    caller: Caller,
    conversationId: string,
    body: SendMessageBody,
  ): Promise<{ message: Message; created: boolean }> {
    const messageId = messageIdFor(conversationId, caller.userId, body.clientMessageId);
    const c = await this.#d.conversations.collectionsOf(caller.tenant);
    // Independent reads (and the in-process seal) at once: a send waits one round trip for them,
    // not three. The retry's answer waits for the membership check, so a non-member learns nothing.
    const [membership, first, sealed] = await Promise.all([
      this.#d.conversations.requireMember(caller, conversationId, { position: false }),
      c.messages.findOne({ _id: messageId }),
      this.#d.sealer.seal(c.tenant, messageId, { text: body.text }),
    ]);
    if (first) return { message: await this.#sameSend(membership, first, body), created: false };
    if (membership.conversation.archived) throw messagingProblems.archived();
    if (body.parentId) {
      const parent = await c.messages.findOne({ _id: body.parentId, conversationId });
      if (!parent) throw messagingProblems.messageNotFound();
      if (parent.parentId) throw messagingProblems.conflict('Replies go to the thread root, not to a reply');
    }
    const attachments = [...new Map((body.attachments ?? []).map((a) => [a.mediaId, a])).values()];
    if (attachments.length > 0)
      await this.#d.attachments.bind(c.tenant, {
        conversationId,
        messageId,
        senderId: caller.userId,
        mediaIds: attachments.map((a) => a.mediaId),
      });
    const entry = await this.#d.ledger.append(c, conversationId, {
      kind: 'message.created',
      messageId,
      actorId: caller.userId,
      intent: {
        body: sealed,
        clientMessageId: body.clientMessageId,
        senderId: caller.userId,
        createdAt: new Date(),
        mentions: parseMentions(body.text),
        attachments,
        ...(body.parentId ? { parentId: body.parentId } : {}),
      },
    });
    const applied = await this.#d.applier.apply(c, entry);
    if (!applied.message) throw new Error(`message ${messageId} missing after its send`);
    if (applied.voided)
      return { message: await this.#sameSend(membership, applied.message, body), created: false };
    return { message: await this.#d.views.one(c, applied.message), created: true };
  }

  /** A retried send: the first result, if it really is the same message. */
  async #sameSend(membership: Membership, first: MessageDocument, body: SendMessageBody): Promise<Message> {
    const view = await this.#d.views.one(membership.collections, first);
    const same =
      first.deleted || (view.text === body.text && (first.parentId ?? null) === (body.parentId ?? null));
    // Compared with the text as first sent (an edit since then is not a different send).
    if (!same && !first.editedAt)
      throw messagingProblems.conflict('This client message id was already used for another message');
    return view;
  }

  async get(caller: Caller, conversationId: string, messageId: string): Promise<Message> {
    const { collections: c } = await this.#d.conversations.requireMember(caller, conversationId, {
      position: false,
    });
    return this.#d.views.one(c, await this.#require(c, conversationId, messageId));
  }

  async edit(caller: Caller, conversationId: string, messageId: string, text: string): Promise<Message> {
    const membership = await this.#d.conversations.requireMember(caller, conversationId, { position: false });
    const c = membership.collections;
    const message = await this.#require(c, conversationId, messageId);
    // Deleted first: a tombstone names no sender any more.
    if (message.deleted) throw messagingProblems.conflict('A deleted message cannot be edited');
    if (message.senderId !== caller.userId)
      throw messagingProblems.notAllowed('Only the sender edits a message');
    if (membership.conversation.archived) throw messagingProblems.archived();
    // The edit history would keep the old text, but a hold preserves the message as it stands.
    await assertChangeable(c.holds, message, 'This message');
    const entry = await this.#d.ledger.append(c, conversationId, {
      kind: 'message.edited',
      messageId,
      actorId: caller.userId,
      intent: {
        body: await this.#d.sealer.seal(c.tenant, messageId, { text }),
        mentions: parseMentions(text),
      },
    });
    const applied = await this.#d.applier.apply(c, entry);
    return this.#d.views.one(c, applied.message ?? message);
  }

  async delete(caller: Caller, conversationId: string, messageId: string): Promise<Message> {
    const membership = await this.#d.conversations.requireMember(caller, conversationId, { position: false });
    const c = membership.collections;
    const message = await this.#require(c, conversationId, messageId);
    if (message.deleted) return this.#d.views.one(c, message);
    const moderator = membership.member.role !== 'member' || isTenantAdmin(caller);
    if (message.senderId !== caller.userId && !moderator)
      throw messagingProblems.notAllowed('Only the sender or an admin of the conversation deletes a message');
    await assertChangeable(c.holds, message, 'This message');
    const entry = await this.#d.ledger.append(c, conversationId, {
      kind: 'message.deleted',
      messageId,
      actorId: caller.userId,
    });
    const applied = await this.#d.applier.apply(c, entry);
    return this.#d.views.one(c, applied.message ?? message);
  }

  async react(
    caller: Caller,
    conversationId: string,
    messageId: string,
    emoji: string,
    on: boolean,
  ): Promise<Message> {
    const membership = await this.#d.conversations.requireMember(caller, conversationId, { position: false });
    const c = membership.collections;
    const message = await this.#require(c, conversationId, messageId);
    if (message.deleted) throw messagingProblems.conflict('A deleted message takes no reactions');
    const exists =
      (await c.reactions.countDocuments({ _id: reactionId(messageId, emoji, caller.userId) })) > 0;
    // Already as asked: no change, no seq.
    if (exists === on) return this.#d.views.one(c, message);
    if (membership.conversation.archived) throw messagingProblems.archived();
    const entry = await this.#d.ledger.append(c, conversationId, {
      kind: on ? 'reaction.added' : 'reaction.removed',
      messageId,
      actorId: caller.userId,
      intent: { emoji },
    });
    const applied = await this.#d.applier.apply(c, entry);
    return this.#d.views.one(c, applied.message ?? message);
  }

  async #require(
    c: Membership['collections'],
    conversationId: string,
    messageId: string,
  ): Promise<MessageDocument> {
    const message = await c.messages.findOne({ _id: messageId, conversationId });
    if (!message) throw messagingProblems.messageNotFound();
    return message;
  }
}
