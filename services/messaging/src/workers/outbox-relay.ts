/**
 * The relay of messaging's outboxes (message_log, conversations, members) over each served
 * tenant's database (the operator's registry, through components.ts). Message changes go to the
 * tenant's `messages` topic keyed by message id (a compacted changelog: the newest record per message survives compaction), a void seq keyed by
 * `<conversationId>:<seq>`; conversation and member changes go to `members`.
 */
import { type EventEnvelope, MESSAGING_MESSAGE_EVENT_TYPES, MessageErasedMarker } from '@parley/contracts';
import { type DocumentLockDocument, type Logger, withDocumentLock } from '@parley/kit';
import { type OutboxDocumentLock, OutboxRelay } from '@parley/outbox';
import { kafkaTopic, mongoDatabaseName } from '@parley/tenancy';
import type { Producer } from 'kafkajs';
import type { Document } from 'mongodb';
import { conversationLockId, memberLockId } from '../domain/conversations.ts';
import { COLLECTIONS, type MessagingStore, OUTBOX_COLLECTIONS } from '../store/collections.ts';

const MESSAGE_TYPES = new Set<string>(MESSAGING_MESSAGE_EVENT_TYPES);

export function topicForMessagingEvent(event: Pick<EventEnvelope, 'tenant' | 'type'>): string {
  return kafkaTopic(event.tenant, MESSAGE_TYPES.has(event.type) ? 'messages' : 'members');
}

/** The Kafka key: the message for message changes (compaction per message), else the document. */
export function keyForMessagingEvent(event: EventEnvelope, documentId: unknown): string {
  const payload = event.payload as { messageId?: unknown; conversationId?: unknown; seq?: unknown };
  if (typeof payload.messageId === 'string') return payload.messageId;
  if (event.type === 'messaging.conversation.seq-voided.v1')
    return `${payload.conversationId}:${payload.seq}`;
  return String(documentId);
}

/** The record's value: the envelope, or nothing at all (a tombstone) for an erased message. */
export function valueForMessagingEvent(event: EventEnvelope): string | null {
  return event.type === MessageErasedMarker.type ? null : JSON.stringify(event);
}

/**
 * The relay clears an outbox under the lock its document's writers hold (packages/outbox's
 * `lock`): a conversation's (`conversation:<id>`) and a membership's (`member:<id>`), both in the
 * tenant's message_locks. Log entries and erasure requests need none: once their events are in
 * the outbox, only relays write them, and two relays' clearings write the same document.
 */
export function messagingOutboxLock(store: MessagingStore): OutboxDocumentLock {
  return (collection, documentId, fn) => {
    const lockId =
      collection.collectionName === COLLECTIONS.conversations
        ? conversationLockId(String(documentId))
        : collection.collectionName === COLLECTIONS.members
          ? memberLockId(String(documentId))
          : undefined;
    if (!lockId) return fn();
    const locks = store.client.db(collection.dbName).collection<DocumentLockDocument>(COLLECTIONS.locks);
    return withDocumentLock(locks, lockId, fn);
  };
}

export function createMessagingRelay(options: {
  producer: Producer;
  store: MessagingStore;
  logger: Logger;
  intervalMs: number;
  /** The tenants whose outboxes it sweeps: the served ones (TenantDirectory.served()), or a test's own. */
  tenants: () => Promise<string[]> | string[];
}): OutboxRelay {
  return new OutboxRelay({
    producer: options.producer,
    logger: options.logger,
    intervalMs: options.intervalMs,
    topicFor: topicForMessagingEvent,
    lock: messagingOutboxLock(options.store),
    keyFor: keyForMessagingEvent,
    valueFor: valueForMessagingEvent,
    sources: async () => {
      const tenants = await options.tenants();
      return tenants.flatMap((tenant) => {
        const db = options.store.client.db(mongoDatabaseName(tenant));
        return OUTBOX_COLLECTIONS.map((name) => db.collection<Document>(name));
      });
    },
  });
}
