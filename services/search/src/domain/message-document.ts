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

/**
 * The indexed state after one change; a delete keeps no content (only what orders it). Every
 * change writes the whole document (the external version replaces it), so `attachmentNames`,
 * from media (domain/attachment-names.ts), is given with each, a reaction's included.
 */
export function documentOf(
  payload: MessageChangedPayload,
  body: SealedMessageBody | undefined,
  attachmentNames: readonly string[] = [],
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
    hasAttachment: (payload.attachments?.length ?? 0) > 0,
    // One line per file: analysed like the text, so "report" finds "Quarterly report.pdf".
    ...(attachmentNames.length > 0 ? { attachmentNames: attachmentNames.join('\n') } : {}),
    ...(payload.kind === 'message.edited' ? { editedAt: payload.at } : {}),
  };
}
