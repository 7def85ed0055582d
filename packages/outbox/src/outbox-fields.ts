/**
 * The outbox lives inside the document it announces. FerretDB (and MongoDB without a replica
 * set) has no multi-document transactions, so a separate outbox collection could lose an event
 * if the process died between two writes. Writing the events into the same document, in the same
 * single-document write, makes "the write happened" and "its events will be published" one fact.
 *
 * `_outboxPending` is a plain boolean the relay can find with an index, because array-position
 * queries (`_outbox.0`) are not served alike by every Mongo-wire server.
 */
import type { EventEnvelope } from '@parley/contracts';
import type { Document, UpdateFilter } from 'mongodb';

export const OUTBOX_FIELD = '_outbox';
export const OUTBOX_PENDING_FIELD = '_outboxPending';
/**
 * Events the relay refused (one naming another tenant than the database it was read from), moved
 * here so they are kept as evidence and never retried; see outbox-origin.ts.
 */
export const OUTBOX_REFUSED_FIELD = '_outboxRefused';

export interface RefusedOutboxEvent {
  reason: string;
  at: Date;
  /** The event as it was found (unknown shape: whoever wrote it may have written anything). */
  event: unknown;
}

export interface OutboxFields {
  [OUTBOX_FIELD]?: EventEnvelope[];
  [OUTBOX_PENDING_FIELD]?: boolean;
  [OUTBOX_REFUSED_FIELD]?: RefusedOutboxEvent[];
}

/** A new document carrying its events: `collection.insertOne(withOutbox(doc, [event]))`. */
export function withOutbox<T extends object>(document: T, events: EventEnvelope[]): T & OutboxFields {
  return { ...document, [OUTBOX_FIELD]: events, [OUTBOX_PENDING_FIELD]: events.length > 0 };
}

/**
 * An update that also adds events to the document, in the same write:
 * `collection.updateOne(filter, outboxPush([event], { $set: { name } }))`.
 * The update's own `$set` and `$push` are merged, never overwritten (spreading the result into
 * an update that has its own `$set` would silently drop one of them, so pass the update in).
 */
export function outboxPush<T extends Document = Document>(
  events: EventEnvelope[],
  update: UpdateFilter<NoInfer<T>> = {},
): UpdateFilter<T> {
  const merged = {
    ...update,
    $push: { ...(update.$push ?? {}), [OUTBOX_FIELD]: { $each: events } },
    $set: { ...(update.$set ?? {}), [OUTBOX_PENDING_FIELD]: true },
  };
  return merged as unknown as UpdateFilter<T>;
}

/** Strips the outbox fields before a document leaves the store layer (say, in an API answer). */
export function withoutOutbox<T extends OutboxFields>(document: T): Omit<T, keyof OutboxFields> {
  const {
    [OUTBOX_FIELD]: _events,
    [OUTBOX_PENDING_FIELD]: _pending,
    [OUTBOX_REFUSED_FIELD]: _refused,
    ...rest
  } = document;
  return rest;
}
