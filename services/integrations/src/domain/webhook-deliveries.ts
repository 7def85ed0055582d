/**
 * The delivery log of outgoing webhooks, in the tenant's database: one document per (endpoint,
 * event), written by the events consumer before it commits the event's offset, so a delivery is
 * never lost between Kafka and the receiver (at least once). Its id is derived from the endpoint
 * and the event id, so a redelivered event enqueues nothing new (idempotent on the event id).
 *
 * A member event's delivery keeps the change itself (ids, the kind of change, the role, when).
 * The message's text is not copied here: the document keeps the event's sealed body (the tenant
 * key, MESSAGE_BODY_PURPOSE, AAD the message id) and the deliverer opens it for each attempt.
 *
 * A deliverer claims a due delivery by moving its `nextAttemptAt` forward by a lease (a single
 * conditional update): another replica skips it, and a deliverer that dies mid-attempt leaves it
 * due again once the lease is over.
 */
import { createHash } from 'node:crypto';
import type {
  DeliveryAttempt,
  DeliveryStatus,
  MemberWebhookData,
  WebhookDelivery,
  WebhookDeliveryQuery,
  WebhookEventType,
} from '@parley/contracts';
import { ProblemError, problems } from '@parley/kit';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Collection, Filter, MongoClient } from 'mongodb';

export const WEBHOOK_DELIVERIES_COLLECTION = 'integration_webhook_deliveries';
/** Attempts kept per delivery (the newest). */
export const ATTEMPTS_KEPT = 20;

export interface StoredAttempt {
  at: Date;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

export interface WebhookDeliveryDocument {
  _id: string;
  endpointId: string;
  /** The event's id: the `webhook-id` of every attempt. */
  eventId: string;
  eventType: WebhookEventType;
  /** When the event happened (the payload's `timestamp`). */
  eventTime: Date;
  conversationId: string;
  /** A message event's message (absent for a member event). */
  messageId?: string;
  senderId?: string;
  messageCreatedAt?: string;
  parentId?: string;
  /** The message body as the event carried it, sealed; absent for a delete. */
  sealed?: string;
  /** A member event's change (absent for a message event): no content, nothing sealed. */
  member?: MemberWebhookData;
  status: DeliveryStatus;
  /** Every attempt ever made. */
  attemptCount: number;
  /** Attempts since the delivery was enqueued or last replayed (WEBHOOK_MAX_ATTEMPTS bounds these). */
  roundAttempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt?: Date;
  attempts: StoredAttempt[];
}

export type NewDelivery = Omit<
  WebhookDeliveryDocument,
  '_id' | 'status' | 'attemptCount' | 'roundAttempts' | 'nextAttemptAt' | 'createdAt' | 'attempts'
>;

/** A delivery's id: the same for the same endpoint and event, whoever enqueues it. */
export const deliveryIdOf = (endpointId: string, eventId: string): string =>
  createHash('sha256').update(`${endpointId}\u0000${eventId}`).digest('hex').slice(0, 24);

export const unknownDelivery = (): ProblemError =>
  new ProblemError(404, 'unknown-webhook-delivery', 'Unknown delivery', 'This endpoint has no such delivery');

const isDuplicateKey = (error: unknown): boolean => (error as { code?: number }).code === 11000;

export class WebhookDeliveries {
  readonly #mongo: MongoClient;

  constructor(mongo: MongoClient) {
    this.#mongo = mongo;
  }

  collection(tenant: string): Collection<WebhookDeliveryDocument> {
    return this.#mongo
      .db(mongoDatabaseName(tenant))
      .collection<WebhookDeliveryDocument>(WEBHOOK_DELIVERIES_COLLECTION);
  }

  async ensureIndexes(tenant: string): Promise<void> {
    const deliveries = this.collection(tenant);
    await deliveries.createIndex({ endpointId: 1, status: 1, nextAttemptAt: 1 });
    await deliveries.createIndex({ endpointId: 1, createdAt: -1, _id: -1 });
  }

  /** Enqueues each delivery once: one already there (the same endpoint and event) is left as it is. */
  async enqueue(tenant: string, deliveries: NewDelivery[], now = new Date()): Promise<number> {
    let added = 0;
    for (const delivery of deliveries) {
      try {
        await this.collection(tenant).insertOne({
          ...delivery,
          _id: deliveryIdOf(delivery.endpointId, delivery.eventId),
          status: 'pending',
          attemptCount: 0,
          roundAttempts: 0,
          nextAttemptAt: now,
          createdAt: now,
          attempts: [],
        });
        added++;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    return added;
  }

  /** Pending deliveries of the endpoint whose time has come, oldest first. */
  due(
    tenant: string,
    endpointId: string,
    limit: number,
    now = new Date(),
  ): Promise<WebhookDeliveryDocument[]> {
    return this.collection(tenant)
      .find({ endpointId, status: 'pending', nextAttemptAt: { $lte: now } })
      .sort({ nextAttemptAt: 1 })
      .limit(limit)
      .toArray();
  }

  /** Takes the delivery for `leaseMs`; false when another deliverer took it (or it changed) first. */
  async claim(
    tenant: string,
    doc: WebhookDeliveryDocument,
    leaseMs: number,
    now = new Date(),
  ): Promise<boolean> {
    const taken = await this.collection(tenant).updateOne(
      { _id: doc._id, status: 'pending', nextAttemptAt: doc.nextAttemptAt },
      { $set: { nextAttemptAt: new Date(now.getTime() + leaseMs) } },
    );
    if (taken.modifiedCount !== 1) return false;
    doc.nextAttemptAt = new Date(now.getTime() + leaseMs);
    return true;
  }

  /** Gives a claimed delivery back untried (its endpoint's circuit is open), due at `at`. */
  async release(tenant: string, doc: WebhookDeliveryDocument, at: Date): Promise<void> {
    await this.collection(tenant).updateOne(
      { _id: doc._id, nextAttemptAt: doc.nextAttemptAt },
      { $set: { nextAttemptAt: at } },
    );
  }

  /**
   * Records an attempt of a claimed delivery: delivered, failed for good, or due again at
   * `retryAt`. Conditional on the claim, so a replay meanwhile is not overwritten.
   */
  async record(
    tenant: string,
    doc: WebhookDeliveryDocument,
    attempt: StoredAttempt,
    outcome: { status: 'delivered' } | { status: 'failed' } | { status: 'pending'; retryAt: Date },
  ): Promise<void> {
    const attempts = [...doc.attempts, attempt].slice(-ATTEMPTS_KEPT);
    await this.collection(tenant).updateOne(
      { _id: doc._id, status: 'pending', nextAttemptAt: doc.nextAttemptAt },
      {
        $set: {
          status: outcome.status,
          attemptCount: doc.attemptCount + 1,
          roundAttempts: doc.roundAttempts + 1,
          attempts,
          nextAttemptAt: outcome.status === 'pending' ? outcome.retryAt : attempt.at,
          ...(outcome.status === 'delivered' ? { deliveredAt: attempt.at } : {}),
        },
      },
    );
  }

  async list(
    tenant: string,
    endpointId: string,
    query: WebhookDeliveryQuery,
  ): Promise<{
    deliveries: WebhookDelivery[];
    nextCursor?: string;
  }> {
    const limit = query.limit ?? 50;
    const filter: Filter<WebhookDeliveryDocument> = { endpointId };
    if (query.status) filter.status = query.status;
    const after = query.cursor ? parseCursor(query.cursor) : undefined;
    if (after)
      filter.$or = [
        { createdAt: { $lt: after.createdAt } },
        { createdAt: after.createdAt, _id: { $lt: after.id } },
      ];
    const docs = await this.collection(tenant)
      .find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    const page = docs.slice(0, limit);
    const last = page.at(-1);
    return {
      deliveries: page.map(deliveryView),
      ...(docs.length > limit && last ? { nextCursor: cursorOf(last) } : {}),
    };
  }

  async get(tenant: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
    const doc = await this.collection(tenant).findOne({ _id: deliveryId, endpointId });
    if (!doc) throw unknownDelivery();
    return deliveryView(doc);
  }

  /** Enqueues the delivery again, due now, with a fresh round of attempts (its log is kept). */
  async replay(
    tenant: string,
    endpointId: string,
    deliveryId: string,
    now = new Date(),
  ): Promise<WebhookDelivery> {
    const doc = await this.collection(tenant).findOneAndUpdate(
      { _id: deliveryId, endpointId },
      { $set: { status: 'pending', roundAttempts: 0, nextAttemptAt: now }, $unset: { deliveredAt: '' } },
      { returnDocument: 'after' },
    );
    if (!doc) throw unknownDelivery();
    return deliveryView(doc);
  }

  async deleteForEndpoint(tenant: string, endpointId: string): Promise<void> {
    await this.collection(tenant).deleteMany({ endpointId });
  }
}

function cursorOf(doc: WebhookDeliveryDocument): string {
  return Buffer.from(`${doc.createdAt.getTime()}|${doc._id}`).toString('base64url');
}

function parseCursor(cursor: string): { createdAt: Date; id: string } {
  const [time, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const ms = Number(time);
  if (!id || !Number.isSafeInteger(ms)) throw problems.badRequest('The cursor is not one this API gave');
  return { createdAt: new Date(ms), id };
}

export function deliveryView(doc: WebhookDeliveryDocument): WebhookDelivery {
  return {
    id: doc._id,
    endpointId: doc.endpointId,
    eventId: doc.eventId,
    eventType: doc.eventType,
    conversationId: doc.conversationId,
    ...(doc.messageId ? { messageId: doc.messageId } : {}),
    ...(doc.member ? { userId: doc.member.userId } : {}),
    status: doc.status,
    attemptCount: doc.attemptCount,
    createdAt: doc.createdAt.toISOString(),
    ...(doc.status === 'pending' ? { nextAttemptAt: doc.nextAttemptAt.toISOString() } : {}),
    ...(doc.deliveredAt ? { deliveredAt: doc.deliveredAt.toISOString() } : {}),
    attempts: doc.attempts.map(attemptView),
  };
}

function attemptView(attempt: StoredAttempt): DeliveryAttempt {
  return {
    at: attempt.at.toISOString(),
    ...(attempt.statusCode !== undefined ? { statusCode: attempt.statusCode } : {}),
    ...(attempt.error ? { error: attempt.error } : {}),
    durationMs: attempt.durationMs,
  };
}
