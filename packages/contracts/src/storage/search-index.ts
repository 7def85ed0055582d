/**
 * The tenant's Elasticsearch message index (`parley-<tenant>-messages`, tenancy's
 * searchIndexName): one document per message, written only by the search service, created by
 * the operator's SearchIndex step. One mapping for both, so the operator provisions exactly what
 * search writes; search re-applies it (additive fields only) before its first write to an index,
 * so an index the operator made with an older mapping gains the new fields.
 *
 * `dynamic: strict`: a document with a field not listed here is refused, so nothing unplanned
 * (a raw event, a sealed body) can land in the index.
 */
export const MESSAGE_INDEX_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    messageId: { type: 'keyword' },
    conversationId: { type: 'keyword' },
    senderId: { type: 'keyword' },
    /** The decrypted text (analysed); absent once deleted. */
    text: { type: 'text' },
    createdAt: { type: 'date' },
    editedAt: { type: 'date' },
    /** A thread reply: its root's id. */
    parentId: { type: 'keyword' },
    /** The conversation seq of the change this document reflects (also its external ES version). */
    changeSeq: { type: 'long' },
    /** A deleted message stays as a document without content, so a replayed older event cannot revive it. */
    deleted: { type: 'boolean' },
    hasAttachment: { type: 'boolean' },
    attachmentNames: { type: 'text' },
  },
} as const;
