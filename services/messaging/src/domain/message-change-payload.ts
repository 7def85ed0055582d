/**
 * A message change as the messages topic carries it (MessageChangedPayload), built in one place
 * for both who send it: the change applier (each change's event) and the search feed (a message's
 * current state in the shape of its latest change, for a reindex). Nothing readable leaves: the
 * body goes as it rests (sealed under the tenant key), a deleted message without it.
 */
import type { MessageChangedPayload } from '@parley/contracts';
import type { MessageDocument } from '../store/collections.ts';

/** The change itself; the message's state comes from its document as it is after the change. */
export interface MessageChange {
  seq: number;
  kind: MessageChangedPayload['kind'];
  /** Who made it; the sender when not given. */
  actorId?: string;
  at: Date;
  /** A reaction's emoji (reaction kinds only). */
  emoji?: string;
}

export function messageChangePayload(message: MessageDocument, change: MessageChange): MessageChangedPayload {
  const live = !message.deleted;
  return {
    conversationId: message.conversationId,
    messageId: message._id,
    seq: change.seq,
    messageSeq: message.seq,
    kind: change.kind,
    senderId: message.senderId,
    clientMessageId: message.clientMessageId,
    actorId: change.actorId ?? message.senderId,
    at: change.at.toISOString(),
    createdAt: message.createdAt.toISOString(),
    ...(message.parentId ? { parentId: message.parentId } : {}),
    deleted: message.deleted,
    ...(message.body && live ? { sealed: message.body } : {}),
    mentions: message.mentions,
    // Search's has:attachment, and any consumer that follows files; ids only.
    ...(message.attachments && message.attachments.length > 0 && live
      ? { attachments: message.attachments.map((a) => ({ mediaId: a.mediaId })) }
      : {}),
    ...(change.kind.startsWith('reaction.') && change.emoji
      ? { reaction: { emoji: change.emoji, userId: change.actorId ?? '' } }
      : {}),
  };
}

/** A message's current state as its latest change (the search feed's message log). */
export function latestChangePayload(message: MessageDocument): MessageChangedPayload {
  const edited = message.editedAt !== undefined && !message.deleted;
  return messageChangePayload(message, {
    seq: message.changeSeq,
    kind: message.deleted ? 'message.deleted' : edited ? 'message.edited' : 'message.created',
    at: message.deleted
      ? (message.deletedAt ?? message.createdAt)
      : edited
        ? (message.editedAt as Date)
        : message.createdAt,
  });
}
