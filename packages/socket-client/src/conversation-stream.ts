/**
 * One conversation's changes put back in seq order, each exactly once, whatever path brought them
 * (live, recovery, both, out of order across Kafka partitions). Pure: no socket, no timers, so its
 * rules are tested alone (conversation-stream.test.ts).
 *
 * - A change at or below `lastSeq` was delivered already: dropped (live and recovery overlap).
 * - The change right after `lastSeq` is delivered, then every buffered one that follows it.
 * - A change further ahead waits in `pending` (a gap): the owner asks for recovery if the gap
 *   outlives its patience. Pending is bounded; past the bound the oldest-ahead are dropped, since
 *   recovery serves them again from the durable history anyway.
 * - A `message.created` for a message id already created is dropped too (de-duplication by
 *   message id), should a history ever list it twice.
 */
import type { Change } from '@parley/contracts/browser';

export const PENDING_LIMIT = 1_000;
const CREATED_IDS_KEPT = 5_000;

export class ConversationStream {
  #lastSeq: number;
  readonly #pending = new Map<number, Change>();
  readonly #createdIds = new Set<string>();

  constructor(lastSeq: number) {
    this.#lastSeq = lastSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** A change is waiting for an earlier one. */
  get hasGap(): boolean {
    return this.#pending.size > 0;
  }

  /** Takes one change; returns what may now be delivered, in seq order (often none or one). */
  accept(change: Change): Change[] {
    if (change.seq <= this.#lastSeq || this.#pending.has(change.seq)) return [];
    if (change.seq > this.#lastSeq + 1) {
      if (this.#pending.size >= PENDING_LIMIT) {
        const highest = Math.max(...this.#pending.keys());
        if (change.seq > highest) return [];
        this.#pending.delete(highest);
      }
      this.#pending.set(change.seq, change);
      return [];
    }
    const ready: Change[] = [];
    let next: Change | undefined = change;
    while (next) {
      this.#lastSeq = next.seq;
      if (!this.#isDuplicateCreation(next)) ready.push(next);
      next = this.#pending.get(this.#lastSeq + 1);
      if (next) this.#pending.delete(next.seq);
    }
    return ready;
  }

  /**
   * Recovery answered `upTo` with nothing missing before it (e.g. void seqs the history skips):
   * nothing at or below it can arrive any more, so a gap there is closed.
   */
  advanceTo(seq: number): Change[] {
    if (seq <= this.#lastSeq) return [];
    for (const pendingSeq of this.#pending.keys()) if (pendingSeq <= seq) this.#pending.delete(pendingSeq);
    this.#lastSeq = seq;
    const next = this.#pending.get(seq + 1);
    if (!next) return [];
    this.#pending.delete(next.seq);
    return this.accept(next);
  }

  #isDuplicateCreation(change: Change): boolean {
    if (change.kind !== 'message.created' || !change.messageId) return false;
    if (this.#createdIds.has(change.messageId)) return true;
    this.#createdIds.add(change.messageId);
    if (this.#createdIds.size > CREATED_IDS_KEPT) {
      const oldest = this.#createdIds.values().next().value;
      if (oldest !== undefined) this.#createdIds.delete(oldest);
    }
    return false;
  }
}
