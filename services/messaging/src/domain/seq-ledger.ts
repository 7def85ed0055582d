/**
 * The gap-free sequence of a conversation, without transactions (FerretDB: single-document
 * atomicity only, and not even isolated updates: concurrent `$inc`s can be lost there).
 *
 * Each seq is one document of `message_log`, `_id: <conversationId>:<seq>`: the insert of that
 * document is what gives the seq to exactly one writer (a unique key arbitrates on FerretDB and
 * MongoDB alike). The conversation's counter (`$inc` on its own document in `conversation_seqs`,
 * seq-counters.ts) only proposes the next number; a writer whose insert meets a duplicate key (a
 * lost `$inc`, or a reader that voided its seq) takes the next proposal. So two concurrent
 * senders never share a seq.
 *
 * No hole stays: a writer that reserved a seq and died before its insert leaves a gap that a
 * reader fills with a `void` entry once the gap is older than SEQ_VOID_AFTER_MS (judged by the
 * time of the next entry, or of the counter's last reservation: a later seq was reserved later).
 * A writer that was merely slow then meets the void's duplicate key and takes a new seq: nothing
 * is lost, and a reader that has passed a seq never sees it change.
 *
 * Writing a change is then: reserve, insert the log entry with its intent (the sealed body, the
 * emoji...), apply it to `messages`, and mark the entry applied with its event in the same update
 * (the outbox: packages/outbox). A crash after the insert leaves an unapplied entry, which the
 * repair worker (or a catch-up reader) finishes; applying is idempotent.
 */

import { createEvent, SeqVoidedEvent } from '@parley/contracts';
import { isDuplicateKeyError } from '@parley/kit';
import { withOutbox } from '@parley/outbox';
import type { LogDocument, TenantCollections } from '../store/collections.ts';
import { EVENT_SOURCE } from './conversations.ts';
import { logId } from './ids.ts';
import { ensureCounter } from './seq-counters.ts';

export type NewLogEntry = Pick<LogDocument, 'kind' | 'messageId' | 'actorId' | 'intent'>;

/** How often a writer tries for a seq before giving up (each try is one proposal and one insert). */
const MAX_ATTEMPTS = 200;

export class SeqLedger {
  readonly voidAfterMs: number;

  constructor(voidAfterMs: number) {
    this.voidAfterMs = voidAfterMs;
  }

  /** Takes the conversation's next seq for this change; the entry is written unapplied. */
  async append(c: TenantCollections, conversationId: string, entry: NewLogEntry): Promise<LogDocument> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = new Date();
      // A root message's send also moves the conversation's activity (the sidebar's order), in
      // the same write: one round trip less per send. A send that then fails leaves only an
      // earlier-than-true activity time behind, which orders a sidebar and promises nothing.
      const rootSend = entry.kind === 'message.created' && !entry.intent?.parentId;
      // The counter has a document of its own (seq-counters.ts): a proposal never rewrites the
      // conversation, so on FerretDB it cannot undo a concurrent rename.
      const reserved = await c.seqs.findOneAndUpdate(
        { _id: conversationId },
        {
          $inc: { seq: 1 },
          $set: { seqAt: now },
          ...(rootSend ? { $max: { lastMessageAt: now } } : {}),
        },
        { returnDocument: 'after' },
      );
      if (!reserved) {
        // No counter yet (a conversation from before the move, or a new one's first change).
        if (!(await ensureCounter(c, conversationId)))
          throw new Error(`conversation ${conversationId} vanished`);
        continue;
      }
      const doc: LogDocument = {
        _id: logId(conversationId, reserved.seq),
        conversationId,
        seq: reserved.seq,
        at: new Date(),
        applied: false,
        ...entry,
      };
      try {
        await c.log.insertOne(doc);
        return doc;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    throw new Error(`no seq of conversation ${conversationId} after ${MAX_ATTEMPTS} attempts`);
  }

  /** Fills seq `seq` with a void entry (announced, so realtime clients stop waiting). False: it was taken meanwhile. */
  async fillVoid(c: TenantCollections, conversationId: string, seq: number): Promise<boolean> {
    const at = new Date();
    const event = createEvent(SeqVoidedEvent, {
      tenant: c.tenant,
      source: EVENT_SOURCE,
      payload: { conversationId, seq, at: at.toISOString() },
    });
    try {
      await c.log.insertOne(
        withOutbox<LogDocument>(
          { _id: logId(conversationId, seq), conversationId, seq, kind: 'void', at, applied: true },
          [event],
        ),
      );
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  isStale(at: Date | undefined, now = Date.now()): boolean {
    return at !== undefined && now - at.getTime() >= this.voidAfterMs;
  }
}
