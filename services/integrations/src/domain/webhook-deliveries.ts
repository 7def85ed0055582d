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
import type { Collection, Filter, MongoBulkWriteError, MongoClient, OptionalUnlessRequiredId } from 'mongodb';

export const WEBHOOK_DELIVERIES_COLLECTION = 'integration_webhook_deliveries';
/** The claims of deliveries' states (see claim()), pruned after an hour. */
export const WEBHOOK_CLAIMS_COLLECTION = 'integration_webhook_claims';
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
  /** When due (while `leased`, when the holder's lease ends). */
  nextAttemptAt: Date;
  /** Set while a deliverer holds the delivery (claimed, or enqueued by it to send from memory). */
  leased?: true;
  createdAt: Date;
  deliveredAt?: Date;
  attempts: StoredAttempt[];
}

export interface DeliveryClaimDocument {
  /** `<delivery id>:<attempt count>:<nextAttemptAt ms>`: the state claimed. */
  _id: string;
  at: Date;
}

export type AttemptOutcome =
  | { status: 'delivered' }
  | { status: 'failed' }
  | { status: 'pending'; retryAt: Date };

/** What became of a held delivery (see WebhookDeliveries.settle). */
export type Settlement =
  | { kind: 'record'; doc: WebhookDeliveryDocument; attempt: StoredAttempt; outcome: AttemptOutcome }
  | { kind: 'release'; doc: WebhookDeliveryDocument; at: Date };

export type NewDelivery = Omit<
  WebhookDeliveryDocument,
  '_id' | 'status' | 'attemptCount' | 'roundAttempts' | 'nextAttemptAt' | 'leased' | 'createdAt' | 'attempts'
>;

/** A delivery's id: the same for the same endpoint and event, whoever enqueues it. */
export const deliveryIdOf = (endpointId: string, eventId: string): string =>
  createHash('sha256').update(`${endpointId}\u0000${eventId}`).digest('hex').slice(0, 24);

export const unknownDelivery = (): ProblemError =>
  new ProblemError(404, 'unknown-webhook-delivery', 'Unknown delivery', 'This endpoint has no such delivery');

/**
 * Never a multi-statement `update` (a bulkWrite of updates): FerretDB 1.24's update handler keeps
 * each statement's PostgreSQL connection until the whole command ends (`defer` inside its loop),
 * so a command of more statements than its pool holds waits for ever while holding the pool, and
 * every client of that FerretDB hangs (seen: a 100-statement bulkWrite wedged the shared server,
 * `ping` included). Single-document updates instead, GROUP_SIZE at once.
 */
const GROUP_SIZE = 8;

async function inGroups<T>(items: T[], write: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += GROUP_SIZE)
    await Promise.all(items.slice(i, i + GROUP_SIZE).map(write));
}

/**
 * An unordered insertMany; answers the indexes of the documents that were already there
 * (duplicate keys). Any other write error is thrown.
 */
async function unorderedInsert<T extends { _id: string }>(
  collection: Collection<T>,
  docs: T[],
): Promise<Set<number>> {
  const duplicates = new Set<number>();
  try {
    await collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false });
  } catch (error) {
    const writeErrors = (error as MongoBulkWriteError).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length === 0 || list.some((w) => w.code !== 11000)) throw error;
    for (const w of list) duplicates.add(w.index);
  }
  return duplicates;
}

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

  /**
   * Enqueues each delivery once, with one unordered `insertMany`: one already there (the same
   * endpoint and event: a redelivered Kafka batch) is a duplicate-key write error, expected and
   * left as it is. Answers the documents this call inserted. With `leaseMs` they are inserted
   * already held by the caller (`leased`, due only when the lease is over), who sends them from
   * memory: the unique `_id` makes the inserter their only holder, and if it dies they are due
   * again after the lease like any claimed delivery.
   */
  async enqueue(
    tenant: string,
    deliveries: NewDelivery[],
    options: { now?: Date; leaseMs?: number } = {},
  ): Promise<WebhookDeliveryDocument[]> {
    if (deliveries.length === 0) return [];
    const now = options.now ?? new Date();
    const docs: WebhookDeliveryDocument[] = deliveries.map((delivery) => ({
      ...delivery,
      _id: deliveryIdOf(delivery.endpointId, delivery.eventId),
      status: 'pending',
      attemptCount: 0,
      roundAttempts: 0,
      nextAttemptAt: options.leaseMs !== undefined ? new Date(now.getTime() + options.leaseMs) : now,
      ...(options.leaseMs !== undefined ? { leased: true as const } : {}),
      createdAt: now,
      attempts: [],
    }));
    const failed = await unorderedInsert(this.collection(tenant), docs);
    return docs.filter((_, index) => !failed.has(index));
  }

  /**
   * Pending deliveries whose time has come, oldest first: of the given endpoints, or of every
   * endpoint but the excluded ones. One read (on FerretDB a sequential scan of the tenant's
   * deliveries whatever the filter, so one per pass rather than one per endpoint).
   */
  due(
    tenant: string,
    endpoints: { only: string[] } | { except: string[] },
    limit: number,
    now = new Date(),
  ): Promise<WebhookDeliveryDocument[]> {
    const filter: Filter<WebhookDeliveryDocument> = { status: 'pending', nextAttemptAt: { $lte: now } };
    if ('only' in endpoints)
      filter.endpointId = endpoints.only.length === 1 ? endpoints.only[0] : { $in: endpoints.only };
    else if (endpoints.except.length > 0) filter.endpointId = { $nin: endpoints.except };
    return this.collection(tenant).find(filter).sort({ nextAttemptAt: 1 }).limit(limit).toArray();
  }

  /**
   * Takes due deliveries for `leaseMs`; answers those this caller won (with their new
   * `nextAttemptAt`). Exclusive on FerretDB too, where two conditional updates of one document
   * can both succeed: first single updates move each delivery's `nextAttemptAt` to the lease's
   * end (so it stops being due, and a holder that dies leaves it due again afterwards), then one
   * unordered insertMany of a claim per delivery whose `_id` is the delivery's state as read
   * (id, attempt count, the `nextAttemptAt` read): a unique key, which FerretDB does arbitrate,
   * so of the deliverers that read the same state exactly one wins it, and a state is never won
   * twice (the claims are kept an hour, far longer than a pass). The lease goes first: a holder
   * dying between the two leaves the delivery due again in a new state, never held for good.
   */
  async claim(
    tenant: string,
    docs: WebhookDeliveryDocument[],
    leaseMs: number,
    now = new Date(),
  ): Promise<WebhookDeliveryDocument[]> {
    if (docs.length === 0) return [];
    const leaseEnd = new Date(now.getTime() + leaseMs);
    await inGroups(docs, (doc) =>
      this.collection(tenant).updateOne(
        { _id: doc._id, status: 'pending', nextAttemptAt: doc.nextAttemptAt },
        { $set: { nextAttemptAt: leaseEnd, leased: true } },
      ),
    );
    const claims = docs.map((doc) => ({
      _id: `${doc._id}:${doc.attemptCount}:${doc.nextAttemptAt.getTime()}`,
      at: now,
    }));
    const lost = await unorderedInsert(this.claims(tenant), claims);
    return docs
      .filter((_, index) => !lost.has(index))
      .map((doc) => ({ ...doc, nextAttemptAt: leaseEnd, leased: true }));
  }

  /** Claims older than `olderThanMs` (an hour by default): no pass reads a state that long. */
  async pruneClaims(tenant: string, olderThanMs = 3_600_000, now = new Date()): Promise<void> {
    await this.claims(tenant).deleteMany({ at: { $lt: new Date(now.getTime() - olderThanMs) } });
  }

  /**
   * Writes what became of held deliveries (single updates, GROUP_SIZE at once): an attempt recorded (delivered,
   * failed for good, or due again at `retryAt`), or given back untried, due at `at` (its
   * endpoint's circuit is open, or it waited in memory too long to start within its lease).
   * Each write is conditional on the hold (still pending and leased, the same attempt count), so
   * a replay meanwhile (which drops the lease) is not overwritten.
   */
  async settle(tenant: string, settlements: Settlement[]): Promise<void> {
    await inGroups(settlements, (s) => {
      const filter: Filter<WebhookDeliveryDocument> = {
        _id: s.doc._id,
        status: 'pending',
        leased: true,
        attemptCount: s.doc.attemptCount,
      };
      if (s.kind === 'release')
        return this.collection(tenant).updateOne(filter, {
          $set: { nextAttemptAt: s.at },
          $unset: { leased: '' },
        });
      const { doc, attempt, outcome } = s;
      return this.collection(tenant).updateOne(filter, {
        $set: {
          status: outcome.status,
          attemptCount: doc.attemptCount + 1,
          roundAttempts: doc.roundAttempts + 1,
          attempts: [...doc.attempts, attempt].slice(-ATTEMPTS_KEPT),
          nextAttemptAt: outcome.status === 'pending' ? outcome.retryAt : attempt.at,
          ...(outcome.status === 'delivered' ? { deliveredAt: attempt.at } : {}),
        },
        $unset: { leased: '' },
      });
    });
  }

  /**
   * Makes the endpoint's waiting deliveries due now (its breaker just closed: the receiver is
   * back, so its backlog need not wait each delivery's own next attempt, up to
   * WEBHOOK_RETRY_MAX_MS). Held ones are left alone. Answers how many.
   */
  async pullForward(tenant: string, endpointId: string, now = new Date()): Promise<number> {
    const moved = await this.collection(tenant).updateMany(
      { endpointId, status: 'pending', leased: { $exists: false }, nextAttemptAt: { $gt: now } },
      { $set: { nextAttemptAt: now } },
    );
    return moved.modifiedCount;
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
      {
        $set: { status: 'pending', roundAttempts: 0, nextAttemptAt: now },
        $unset: { deliveredAt: '', leased: '' },
      },
      { returnDocument: 'after' },
    );
    if (!doc) throw unknownDelivery();
    return deliveryView(doc);
  }

  async deleteForEndpoint(tenant: string, endpointId: string): Promise<void> {
    await this.collection(tenant).deleteMany({ endpointId });
  }

  claims(tenant: string): Collection<DeliveryClaimDocument> {
    return this.#mongo
      .db(mongoDatabaseName(tenant))
      .collection<DeliveryClaimDocument>(WEBHOOK_CLAIMS_COLLECTION);
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
