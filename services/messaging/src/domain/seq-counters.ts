/**
 * Where a conversation's seq counter lives: its own document in `conversation_seqs`
 * (`_id: <conversationId>`, in the tenant's database), not on the conversation document.
 *
 * Why apart: FerretDB rewrites a whole document on every update, without isolation, so a send's
 * `$inc seq` on the conversation document could write back the conversation as it had read it,
 * before a concurrent rename's write: the rename was lost (1 round in 6 measured before, a rename
 * against 8 sends). The counter's own document is written by seq proposals only, so what they
 * can lose on FerretDB is a proposal (a lost `$inc`), which the message_log's unique key already
 * arbitrates (seq-ledger.ts): a writer meeting a taken seq proposes again. On MongoDB `$inc` is
 * atomic and the arbitration never fires.
 *
 * Conversations written before the move carry the counter on themselves (`seq`, `seqAt`,
 * `lastMessageAt`): their counter document is made on their first change after the move (an
 * insert: concurrent first changes agree on one), starting from the old field or from the highest
 * seq in the log, whichever is higher, so the sequence continues without a repeat. Until then
 * readers take the old fields (positionOf). The conversation's old `seq` is never written again.
 */
import { isDuplicateKeyError } from '@parley/kit';
import type { ConversationDocument, SeqCounterDocument, TenantCollections } from '../store/collections.ts';

/** A conversation's counter as readers need it: the last seq proposed, when, and its latest activity. */
export interface SeqPosition {
  seq: number;
  seqAt?: Date;
  lastMessageAt?: Date;
}

/** The conversation's position: its counter document, or (before its first change since the move) its old fields. */
export function positionOf(
  conversation: Pick<ConversationDocument, 'seq' | 'seqAt' | 'lastMessageAt'>,
  counter: SeqCounterDocument | null | undefined,
): SeqPosition {
  if (!counter)
    return {
      seq: conversation.seq ?? 0,
      ...(conversation.seqAt ? { seqAt: conversation.seqAt } : {}),
      ...(conversation.lastMessageAt ? { lastMessageAt: conversation.lastMessageAt } : {}),
    };
  const lastMessageAt = latest(counter.lastMessageAt, conversation.lastMessageAt);
  return {
    seq: counter.seq,
    ...(counter.seqAt ? { seqAt: counter.seqAt } : {}),
    ...(lastMessageAt ? { lastMessageAt } : {}),
  };
}

/** The conversation as readers see it: its seq, seqAt and activity from its counter. */
export function withPosition<T extends ConversationDocument>(
  conversation: T,
  counter: SeqCounterDocument | null | undefined,
): T & SeqPosition {
  const { seq: _seq, seqAt: _seqAt, lastMessageAt: _last, ...rest } = conversation;
  return { ...(rest as T), ...positionOf(conversation, counter) };
}

/** The counters of these conversations (one query per call), by conversation id. */
export async function countersOf(
  c: TenantCollections,
  conversationIds: readonly string[],
): Promise<Map<string, SeqCounterDocument>> {
  if (conversationIds.length === 0) return new Map();
  const counters = await c.seqs.find({ _id: { $in: [...conversationIds] } }).toArray();
  return new Map(counters.map((counter) => [counter._id, counter]));
}

/** One conversation's position, read now (the counter, else the conversation's old fields); null: no such conversation. */
export async function readPosition(
  c: TenantCollections,
  conversationId: string,
): Promise<SeqPosition | null> {
  const counter = await c.seqs.findOne({ _id: conversationId });
  if (counter) return positionOf({}, counter);
  const conversation = await c.conversations.findOne(
    { _id: conversationId },
    { projection: { seq: 1, seqAt: 1, lastMessageAt: 1 } },
  );
  return conversation ? positionOf(conversation, null) : null;
}

/**
 * Makes the counter document of a conversation that has none (created before the move, or whose
 * creator died before its first send): from the old field or the log's highest seq. False: there
 * is no such conversation. Concurrent callers insert the same `_id`: one wins, the rest go on.
 */
export async function ensureCounter(c: TenantCollections, conversationId: string): Promise<boolean> {
  const [conversation, last] = await Promise.all([
    c.conversations.findOne({ _id: conversationId }, { projection: { seq: 1, seqAt: 1, lastMessageAt: 1 } }),
    c.log.findOne({ conversationId }, { sort: { seq: -1 }, projection: { seq: 1 } }),
  ]);
  if (!conversation) return false;
  const start = positionOf(conversation, null);
  await c.seqs
    .insertOne({ _id: conversationId, ...start, seq: Math.max(start.seq, last?.seq ?? 0) })
    .catch((error: unknown) => {
      if (!isDuplicateKeyError(error)) throw error;
    });
  return true;
}

function latest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}
