/**
 * Publishes a document's outbox at once after the write that filled it (the relay's periodic
 * passes then only sweep what a crash or an outage left). Tests and tools without Kafka use
 * `noImmediatePublish`, leaving the events to a relay.
 */
import type { EventEnvelope } from '@parley/contracts';
import type { Collection, Document } from 'mongodb';

export { outboxPush } from '@parley/outbox';

export interface OutboxRelayLike {
  /**
   * `written`: the document's whole outbox as the caller's write just created it, so the relay
   * need not read it back (see OutboxRelay.publishDocument); omitted, the relay reads it.
   */
  publishNow(
    collection: Collection<Document>,
    documentId: string,
    written?: EventEnvelope[],
    /** The write that puts `written` into the outbox, still under way (OutboxRelay.publishDocument's `writing`). */
    writing?: Promise<unknown>,
  ): Promise<void>;
}

export function immediatePublisher(relay: {
  publishDocument(
    collection: Collection<Document>,
    documentId: unknown,
    options?: { written?: readonly EventEnvelope[]; acknowledgeLater?: boolean; writing?: Promise<unknown> },
  ): Promise<number>;
}): OutboxRelayLike {
  return {
    async publishNow(collection, documentId, written, writing) {
      // Handed the events, the relay neither reads the document nor makes the writer wait for
      // the outbox's clearing (OutboxRelay.publishDocument): a send waits for Kafka, not for that.
      await relay.publishDocument(
        collection,
        documentId,
        written ? { written, acknowledgeLater: true, ...(writing ? { writing } : {}) } : {},
      );
    },
  };
}

export const noImmediatePublish: OutboxRelayLike = { publishNow: async () => {} };
