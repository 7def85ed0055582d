/**
 * Publishes a document's outbox at once after the write that filled it (the relay's periodic
 * passes then only sweep what a crash or an outage left). Tests and tools without Kafka use
 * `noImmediatePublish`, leaving the events to a relay.
 */
import type { Collection, Document } from 'mongodb';

export { outboxPush } from '@parley/outbox';

export interface OutboxRelayLike {
  publishNow(collection: Collection<Document>, documentId: string): Promise<void>;
}

export function immediatePublisher(relay: {
  publishDocument(collection: Collection<Document>, documentId: unknown): Promise<number>;
}): OutboxRelayLike {
  return {
    async publishNow(collection, documentId) {
      await relay.publishDocument(collection, documentId);
    },
  };
}

export const noImmediatePublish: OutboxRelayLike = { publishNow: async () => {} };
