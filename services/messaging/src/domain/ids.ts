/** Ids that must come out the same for the same facts, however often and concurrently asked. */
import { createHash, randomBytes } from 'node:crypto';

const digest = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);

/** The one direct conversation of two people: the same id from either side, so an insert arbitrates. */
export const directConversationId = (a: string, b: string) => `d_${digest('direct', ...[a, b].sort())}`;

/** A send's message id from (conversation, sender, client message id): a retry lands on the first. */
export const messageIdFor = (conversationId: string, senderId: string, clientMessageId: string) =>
  `m_${digest('message', conversationId, senderId, clientMessageId)}`;

export const newConversationId = (kind: 'group' | 'channel') =>
  `${kind === 'group' ? 'g' : 'c'}_${randomBytes(16).toString('base64url')}`;

export const memberId = (conversationId: string, userId: string) => `${conversationId}:${userId}`;
export const logId = (conversationId: string, seq: number) => `${conversationId}:${seq}`;
/** The emoji last: message and user ids never hold `|`, so the id is unambiguous (and has no U+0000, which FerretDB cannot store). */
export const reactionId = (messageId: string, emoji: string, userId: string) =>
  `${messageId}|${userId}|${emoji}`;

/**
 * Who a message is attributed to once it names no one: an erased person's anonymised messages,
 * and every tombstone (a deleted message keeps no personal data, only its place in the order).
 */
export const FORMER_MEMBER = 'former-member';
