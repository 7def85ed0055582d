/**
 * Applies a message_log entry to the `messages` projection and then marks the entry applied with
 * its event in the same update (the outbox rides on the log entry: the write that holds the seq
 * holds the event). Idempotent, so the repair worker and catch-up readers can finish an entry a
 * crash left unapplied by calling it again.
 *
 * Updates of one message are ordered by seq: deletes always win, an edit applies only over older
 * edits (`editSeq`), and `changeSeq` only grows (`$max`), so whichever order concurrent changes
 * land in, the document ends in the state of the highest seq. Each update of an existing message
 * runs under that message's lock (kit's withDocumentLock): FerretDB rewrites whole documents without
 * isolation, so two concurrent `$set`s of different fields (an edit and a reaction) lost one.
 */
import {
  createEvent,
  type EventEnvelope,
  MessageCreatedEvent,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageErasedMarker,
  MessageReactedEvent,
  SeqVoidedEvent,
} from '@parley/contracts';
import { type DocumentLockOptions, isDuplicateKeyError, withDocumentLock } from '@parley/kit';
import type { Collection, Document } from 'mongodb';
import type { LogDocument, MessageDocument, TenantCollections } from '../store/collections.ts';
import { EVENT_SOURCE } from './conversations.ts';
import { FORMER_MEMBER, reactionId } from './ids.ts';
import { messageChangePayload } from './message-change-payload.ts';
import { type OutboxRelayLike, outboxPush } from './outbox-publisher.ts';

export interface Applied {
  entry: LogDocument;
  /** The message as it is after the change (absent for a void). */
  message: MessageDocument | null;
  /** The entry turned out to be a duplicate send: it became a void. */
  voided: boolean;
}

const EVENT_FOR = {
  'message.created': MessageCreatedEvent,
  'message.edited': MessageEditedEvent,
  'message.deleted': MessageDeletedEvent,
  'reaction.added': MessageReactedEvent,
  'reaction.removed': MessageReactedEvent,
} as const;

export class ChangeApplier {
  readonly #publisher: OutboxRelayLike;
  readonly #lockOptions: DocumentLockOptions;

  constructor(publisher: OutboxRelayLike, lockOptions: DocumentLockOptions = {}) {
    this.#publisher = publisher;
    this.#lockOptions = lockOptions;
  }

  /** Runs a read-modify-write of one message document as its only writer (kit's withDocumentLock). */
  locked<T>(c: TenantCollections, messageId: string, fn: () => Promise<T>): Promise<T> {
    return withDocumentLock(c.locks, messageId, fn, this.#lockOptions);
  }

  async apply(c: TenantCollections, entry: LogDocument): Promise<Applied> {
    if (entry.applied) {
      const message = entry.messageId ? await c.messages.findOne({ _id: entry.messageId }) : null;
      return { entry, message, voided: entry.kind === 'void' };
    }
    const projected = await this.#project(c, entry);
    const voided = projected === false;
    // A fresh send hands back the document it inserted; any other change is read back as it ended.
    const message =
      typeof projected === 'object'
        ? projected
        : entry.messageId
          ? await c.messages.findOne({ _id: entry.messageId })
          : null;
    const kind = voided ? 'void' : entry.kind;
    const events: EventEnvelope[] =
      voided || !message ? [this.#voidEvent(c, entry)] : [this.#changeEvent(c, entry, message)];
    // A delete also asks for the topic's tombstone, after its event (same key, same partition).
    if (!voided && message && entry.kind === 'message.deleted')
      events.push(
        createEvent(MessageErasedMarker, {
          tenant: c.tenant,
          source: EVENT_SOURCE,
          payload: { conversationId: entry.conversationId, messageId: message._id },
        }),
      );
    const marking = c.log.updateOne(
      { _id: entry._id, applied: false },
      outboxPush(events, { $set: { applied: true, kind }, $unset: { intent: '' } }),
    );
    // Published right away, while the mark is written (the change is already in `messages`; the
    // mark only records it): a send waits for the slower of the two, not for both in turn. The
    // relay clears the outbox once the mark has landed; its passes only sweep what a crash (or a
    // broker outage) left. An unapplied entry has no outbox, so once this update marks it, its
    // outbox is exactly these events: handed over, not read back. (If someone else marked it
    // meanwhile, these go out as well: a duplicate of the change, and the relay sends theirs.)
    // A crash after the produce and before the mark: the repair applies the entry again and
    // announces it again, under new event ids (consumers keep the highest seq per message).
    await Promise.all([
      marking,
      this.#publisher.publishNow(c.log as unknown as Collection<Document>, entry._id, events, marking),
    ]);
    return { entry: { ...entry, kind, applied: true }, message, voided };
  }

  /**
   * Writes the change into `messages`; false when it must become a void (a duplicate send), the
   * inserted document for a fresh send, true otherwise.
   */
  async #project(c: TenantCollections, entry: LogDocument): Promise<MessageDocument | boolean> {
    const intent = entry.intent ?? {};
    const messageId = entry.messageId;
    if (!messageId) return false;
    switch (entry.kind) {
      case 'message.created': {
        const doc: MessageDocument = {
          _id: messageId,
          conversationId: entry.conversationId,
          seq: entry.seq,
          changeSeq: entry.seq,
          senderId: intent.senderId ?? entry.actorId ?? '',
          clientMessageId: intent.clientMessageId ?? '',
          createdAt: intent.createdAt ?? entry.at,
          ...(intent.body ? { body: intent.body } : {}),
          deleted: false,
          ...(intent.parentId ? { parentId: intent.parentId } : {}),
          mentions: intent.mentions ?? { users: [], channel: false },
          attachments: intent.attachments ?? [],
        };
        let fresh = true;
        try {
          await c.messages.insertOne({ ...doc });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          // The same send won with another seq (a concurrent retry): this seq is void. The same
          // seq means this entry was applied before a crash: go on.
          const existing = await c.messages.findOne({ _id: messageId }, { projection: { seq: 1 } });
          if (existing?.seq !== entry.seq) return false;
          fresh = false;
        }
        // (A root's send moved the conversation's activity already, with its seq: seq-ledger.ts.)
        const parentId = intent.parentId;
        if (parentId)
          await this.locked(c, parentId, () =>
            c.messages.updateOne({ _id: parentId }, { $set: { hasReplies: true } }),
          );
        return fresh ? doc : true;
      }
      case 'message.edited':
        return this.locked(c, messageId, () => this.#edit(c, entry, messageId));
      case 'message.deleted':
        return this.locked(c, messageId, () => this.#delete(c, entry, messageId));
      case 'reaction.added':
      case 'reaction.removed':
        return this.locked(c, messageId, () => this.#react(c, entry, messageId));
      default:
        return false;
    }
  }

  async #edit(c: TenantCollections, entry: LogDocument, messageId: string): Promise<true> {
    const intent = entry.intent ?? {};
    const message = await c.messages.findOne({ _id: messageId });
    if (!message || message.deleted || (message.editSeq ?? 0) >= entry.seq) return true;
    // The replaced body goes to the edit history first: a crash in between loses no version.
    if (message.body) {
      try {
        await c.edits.insertOne({
          _id: `${messageId}:${entry.seq}`,
          messageId,
          conversationId: entry.conversationId,
          senderId: message.senderId,
          writtenAt: message.editedAt ?? message.createdAt,
          replacedAt: entry.at,
          body: message.body,
        });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    await c.messages.updateOne(
      { _id: messageId, deleted: false },
      {
        $set: {
          ...(intent.body ? { body: intent.body } : {}),
          mentions: intent.mentions ?? { users: [], channel: false },
          editedAt: entry.at,
          editSeq: entry.seq,
        },
        $max: { changeSeq: entry.seq },
      },
    );
    return true;
  }

  async #delete(c: TenantCollections, entry: LogDocument, messageId: string): Promise<true> {
    // The tombstone keeps what ordering and idempotent retries need (seq, times, the client's
    // message id) and no personal data: its sender becomes no one, and who deleted it is not
    // kept (the audit log has the request). A hold never meets a tombstone: a held message is
    // not deleted (legal-holds.ts).
    await c.messages.updateOne(
      { _id: messageId },
      {
        $set: {
          deleted: true,
          deletedAt: entry.at,
          senderId: FORMER_MEMBER,
          mentions: { users: [], channel: false },
          attachments: [],
        },
        $unset: { body: '', deletedBy: '' },
        $max: { changeSeq: entry.seq },
      },
    );
    // The content goes everywhere it was kept: the edit history and the reactions.
    await c.edits.deleteMany({ messageId });
    await c.reactions.deleteMany({ messageId });
    return true;
  }

  async #react(c: TenantCollections, entry: LogDocument, messageId: string): Promise<true> {
    const intent = entry.intent ?? {};
    const emoji = intent.emoji ?? '';
    const userId = entry.actorId ?? '';
    if (entry.kind === 'reaction.added') {
      try {
        await c.reactions.insertOne({
          _id: reactionId(messageId, emoji, userId),
          messageId,
          conversationId: entry.conversationId,
          emoji,
          userId,
          at: entry.at,
        });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    } else {
      await c.reactions.deleteOne({ _id: reactionId(messageId, emoji, userId) });
    }
    await c.messages.updateOne(
      { _id: messageId },
      {
        $set: { hasReactions: true },
        $max: { changeSeq: entry.seq },
      },
    );
    return true;
  }

  #changeEvent(c: TenantCollections, entry: LogDocument, message: MessageDocument) {
    const kind = entry.kind as keyof typeof EVENT_FOR;
    const payload = messageChangePayload(message, {
      seq: entry.seq,
      kind,
      ...(entry.actorId ? { actorId: entry.actorId } : {}),
      at: entry.at,
      ...(entry.intent?.emoji ? { emoji: entry.intent.emoji } : {}),
    });
    return createEvent(EVENT_FOR[kind], { tenant: c.tenant, source: EVENT_SOURCE, payload });
  }

  #voidEvent(c: TenantCollections, entry: LogDocument) {
    return createEvent(SeqVoidedEvent, {
      tenant: c.tenant,
      source: EVENT_SOURCE,
      payload: { conversationId: entry.conversationId, seq: entry.seq, at: new Date().toISOString() },
    });
  }
}
