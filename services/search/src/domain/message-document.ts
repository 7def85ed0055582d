/**
 * What one message looks like in the tenant's index (contracts' MESSAGE_INDEX_MAPPINGS), built
 * from a messaging event and its decrypted body. The document's id is the message id and its
 * external version the event's conversation seq, so Elasticsearch itself refuses an older state
 * over a newer one (a redelivery, a replay from offset 0, a reindex racing the consumer).
 */
import type { MessageChangedPayload, SealedMessageBody } from '@parley/contracts';

export interface MessageDocument {
  messageId: string;
  conversationId: string;
  senderId: string;
  text?: string;
  createdAt: string;
  editedAt?: string;
  parentId?: string;
  changeSeq: number;
  deleted: boolean;
  hasAttachment: boolean;
  attachmentNames?: string;
}

/** The indexed state after one change; a delete keeps no content (only what orders it). */
export function documentOf(
  payload: MessageChangedPayload,
  body: SealedMessageBody | undefined,
): MessageDocument {
  const base = {
    messageId: payload.messageId,
    conversationId: payload.conversationId,
    senderId: payload.senderId,
    createdAt: payload.createdAt,
    changeSeq: payload.seq,
    ...(payload.parentId ? { parentId: payload.parentId } : {}),
  };
  if (payload.deleted || !body) return { ...base, deleted: true, hasAttachment: false };
  return {
    ...base,
    text: body.text,
    deleted: false,
    // The event names the media ids only; a file's name stays with media, so attachmentNames
    // stays empty until an event carries names (they would be plaintext in the index).
    hasAttachment: (payload.attachments?.length ?? 0) > 0,
    ...(payload.kind === 'message.edited' ? { editedAt: payload.at } : {}),
  };
}
