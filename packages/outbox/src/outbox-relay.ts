/**
 * Publishes the events that documents carry in their outbox, then removes them. The order is
 * what makes it safe: publish, wait for Kafka's acknowledgement, only then remove. A crash in
 * between publishes an event twice, never zero times; consumers deduplicate on the event id
 * (see inbox.ts). Events of one document keep their order: they share a key (the document id).
 *
 * The relay publishes with platform credentials, so it never lets an outbox speak for a tenant
 * whose database it is not: an event's tenant is the tenant of the database it was read from
 * (outbox-origin.ts). An event naming another tenant, or headed for another tenant's topic, is
 * refused: counted (`parley_events_refused_total{component="outbox-relay"}`), logged without its
 * payload, and moved to the document's `_outboxRefused` so it is kept as evidence and never
 * retried. The document's other events still go out.
 */
import type { EventEnvelope } from '@parley/contracts';
import { type EventRefusalReason, eventRefusals, type Logger, loggable, type Stoppable } from '@parley/kit';
import { kafkaTopicPrefix } from '@parley/tenancy';
import type { Producer } from 'kafkajs';
import type { Collection, Document, Filter } from 'mongodb';
import {
  OUTBOX_FIELD,
  OUTBOX_PENDING_FIELD,
  OUTBOX_REFUSED_FIELD,
  type OutboxFields,
  type RefusedOutboxEvent,
} from './outbox-fields.ts';
import { DEFAULT_PLATFORM_DATABASES, type OutboxOrigin, outboxOrigin } from './outbox-origin.ts';

/**
 * Runs `fn` as the only writer of one document: the lock that the document's writers hold around
 * their updates (kit's withDocumentLock, say). See OutboxRelayOptions.lock.
 */
export type OutboxDocumentLock = <T>(
  collection: Collection<Document>,
  documentId: unknown,
  fn: () => Promise<T>,
) => Promise<T>;

export interface OutboxRelayOptions {
  producer: Producer;
  logger: Logger;
  /** The collections whose documents may carry events; asked again on every pass (tenants come and go). */
  sources: () => Promise<Collection<Document>[]>;
  /**
   * Which topic an event goes to, e.g. `(e) => kafkaTopic(e.tenant, 'keys')`. Called only for
   * events whose tenant the source's database vouches for.
   */
  topicFor: (event: EventEnvelope) => string;
  /**
   * Databases only platform credentials write, whose events may name any tenant (the operator's
   * registry, the keyring). Default: the platform database. Every other source must be a tenant's
   * `parley_<tenant>`; events of any other database are refused.
   */
  platformDatabases?: readonly string[];
  intervalMs?: number;
  batchSize?: number;
  /** How long stop() may spend on its final flush before leaving the rest pending. */
  stopTimeoutMs?: number;
  /**
   * The Kafka key of an event; default the document id (one document's events keep their order).
   * A compacted changelog keys by the entity instead (messaging: the message id).
   */
  keyFor?: (event: EventEnvelope, documentId: unknown) => string;
  /**
   * The record's value; default the envelope as JSON. `null` writes a tombstone (a record with the
   * key and no value), which log compaction uses to remove the key's earlier records.
   */
  valueFor?: (event: EventEnvelope) => string | null;
  /**
   * The lock the source documents' writers hold around their updates. Given, the relay clears an
   * outbox under it: it reads the outbox again and clears it only if it still holds exactly what
   * was published. Needed where updates of one document are not isolated (FerretDB rewrites a
   * whole document per update: a clearing that read the document before a writer's push wrote it
   * back after, and the push, its event and its fields, was gone; and two relays both "won" the
   * same conditional clear). Without it, the clear is one conditional update (exact on MongoDB).
   */
  lock?: OutboxDocumentLock;
}

export interface PublishDocumentOptions {
  /** The document's whole outbox as the caller's write just created it: not read back. */
  written?: readonly EventEnvelope[];
  /** Clear the outbox in the background once Kafka has acknowledged (see publishDocument). */
  acknowledgeLater?: boolean;
  /**
   * The write that puts `written` into the document, still under way: the events are published
   * meanwhile and the outbox is cleared only after it has landed (see publishDocument).
   */
  writing?: Promise<unknown>;
}

/** A document whose events failed to go out waits this long (doubling per failure) before the next try. */
const FIRST_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 60_000;
const COMPONENT = 'outbox-relay';

/** One document's events, split into what goes out (with its topic) and what is refused. */
interface Screened {
  accepted: { event: EventEnvelope; topic: string }[];
  refused: RefusedOutboxEvent[];
}

export class OutboxRelay implements Stoppable {
  readonly name = 'outbox-relay';
  readonly #options: Required<Omit<OutboxRelayOptions, 'keyFor' | 'valueFor' | 'lock'>> &
    Pick<OutboxRelayOptions, 'keyFor' | 'valueFor' | 'lock'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = true;
  /** Documents that failed to publish, and when they may be tried again (by collection and id). */
  readonly #backoff = new Map<string, { failures: number; retryAt: number; id: unknown }>();
  /** Acknowledgements publishDocument left to the background (acknowledgeLater). */
  readonly #settling = new Set<Promise<void>>();

  constructor(options: OutboxRelayOptions) {
    this.#options = {
      intervalMs: 250,
      batchSize: 100,
      stopTimeoutMs: 5_000,
      platformDatabases: DEFAULT_PLATFORM_DATABASES,
      ...options,
    };
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Finishes the pass in progress and a final one, so a clean shutdown leaves nothing behind. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => 0);
    // Bounded: a broker that is gone must not hold a shutdown past its deadline. Whatever is not
    // published stays in its document and goes out after the next start.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.stopTimeoutMs);
    });
    const outcome = await Promise.race([this.flush(), deadline])
      .catch((error) => {
        this.#options.logger.warn({ err: error }, 'outbox: final flush failed; events stay pending');
      })
      .finally(() => clearTimeout(timer));
    if (outcome === 'timeout')
      this.#options.logger.warn('outbox: final flush timed out; events stay pending');
  }

  /** Publishes everything pending now; returns how many events were published. */
  async flush(): Promise<number> {
    await this.settled();
    if (this.#running) await this.#running.catch(() => 0);
    this.#running = this.#pass();
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      try {
        await this.flush();
      } catch (error) {
        this.#options.logger.warn({ err: error }, 'outbox: pass failed; will retry');
      }
      this.#schedule();
    }, this.#options.intervalMs);
  }

  async #pass(): Promise<number> {
    let published = 0;
    for (const collection of await this.#options.sources()) {
      published += await this.#drain(collection);
    }
    return published;
  }

  async #drain(collection: Collection<Document>): Promise<number> {
    const origin = outboxOrigin(collection.dbName, this.#options.platformDatabases);
    // Documents waiting out a backoff are left out of the query: a batch full of documents that
    // cannot be published (their topic gone, say) must not starve every newer one.
    const now = Date.now();
    const waiting = [...this.#backoff]
      .filter(([key, b]) => key.startsWith(`${collection.namespace}/`) && b.retryAt > now)
      .map(([, b]) => b.id);
    const filter: Document = { [OUTBOX_PENDING_FIELD]: true };
    if (waiting.length > 0) filter._id = { $nin: waiting };
    const pending = (await collection
      .find(filter, { projection: { [OUTBOX_FIELD]: 1 } })
      .limit(this.#options.batchSize)
      .toArray()) as (Document & OutboxFields)[];
    let published = 0;
    for (const document of pending) published += await this.#relay(collection, origin, document);
    return published;
  }

  /**
   * Publishes one document's pending events now (a writer calls it right after its write, so an
   * event need not wait for the next pass; the passes only sweep what a crash left behind).
   * Returns how many went out; a failure leaves them pending for the passes (never thrown).
   *
   * `written`: the whole outbox as the caller's write just left it (its write created the outbox
   * with exactly these events), so the document is not read back: one round trip less per write.
   * Safe even if that is no longer true: the acknowledgement clears the outbox only while it
   * still equals these events, so anything else in it stays pending for the passes.
   *
   * `writing` (with `written`): the write that puts those events into the document, not yet
   * landed. The events go out at once, in parallel with it (a writer's latency need not add the two
   * round trips), and the outbox is cleared only after it has landed. Use it only where the change
   * the events describe is already durable and the write only records them: a crash between the
   * produce and the write leaves the events published and not in the outbox (the writer's repair
   * path then announces the change again, under new event ids).
   *
   * `acknowledgeLater`: return once Kafka has acknowledged, and clear the outbox in the
   * background (a writer's latency need not include that round trip). Until it lands, a pass may
   * publish the events again: at least once, as always; consumers deduplicate on the event id.
   * `settled()`, `flush()` and `stop()` wait for these acknowledgements.
   */
  async publishDocument(
    collection: Collection<Document>,
    documentId: unknown,
    options: PublishDocumentOptions = {},
  ): Promise<number> {
    const origin = outboxOrigin(collection.dbName, this.#options.platformDatabases);
    const document = (
      options.written
        ? { _id: documentId, [OUTBOX_FIELD]: [...options.written] }
        : await collection.findOne({ _id: documentId, [OUTBOX_PENDING_FIELD]: true } as Filter<Document>, {
            projection: { [OUTBOX_FIELD]: 1 },
          })
    ) as (Document & OutboxFields) | null;
    return document
      ? this.#relay(collection, origin, document, options.acknowledgeLater === true, options.writing)
      : 0;
  }

  /** Waits for the acknowledgements that publishDocument left to the background. */
  async settled(): Promise<void> {
    while (this.#settling.size > 0) await Promise.all([...this.#settling]);
  }

  async #relay(
    collection: Collection<Document>,
    origin: OutboxOrigin,
    document: Document & OutboxFields,
    acknowledgeLater = false,
    writing?: Promise<unknown>,
  ): Promise<number> {
    // As stored: whoever holds the database's credential may have written any shape here.
    const stored: unknown = document[OUTBOX_FIELD];
    const key = `${collection.namespace}/${String(document._id)}`;
    const backoff = this.#backoff.get(key);
    if (backoff && backoff.retryAt > Date.now()) return 0;
    let eventIds: string[] = [];
    try {
      const { accepted, refused } = this.#screen(origin, stored);
      eventIds = accepted.map(({ event }) => event.id);
      if (accepted.length > 0) await this.#publish(document._id, accepted);
      const acknowledge = async () => {
        // Only once the write that holds these events has landed (otherwise nothing to clear yet).
        if (writing) await writing;
        if (await this.#acknowledge(collection, document._id, stored, refused))
          this.#reportRefused(collection, document._id, refused);
      };
      if (!acknowledgeLater) {
        await acknowledge();
        this.#backoff.delete(key);
        return accepted.length;
      }
      this.#backoff.delete(key);
      // Published; a failed acknowledgement only leaves the events for a pass to publish again.
      const settling: Promise<void> = acknowledge()
        .catch((error) => {
          this.#options.logger.warn(
            { err: error, eventIds },
            'outbox: acknowledgement failed; a pass republishes',
          );
        })
        .finally(() => this.#settling.delete(settling));
      this.#settling.add(settling);
      return accepted.length;
    } catch (error) {
      // One document whose events cannot go out (say, its topic is missing) must not hold back
      // every other document's: it stays pending and is retried later, less and less often.
      const failures = (backoff?.failures ?? 0) + 1;
      const delay = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** (failures - 1));
      this.#backoff.set(key, { failures, retryAt: Date.now() + delay, id: document._id });
      this.#options.logger.warn(
        { err: error, collection: collection.collectionName, eventIds, retryInMs: delay },
        'outbox: publishing failed; events stay pending',
      );
      return 0;
    }
  }

  /** Which of a document's events its database may announce, and where each goes. */
  #screen(origin: OutboxOrigin, stored: unknown): Screened {
    const at = new Date();
    if (stored === undefined || stored === null) return { accepted: [], refused: [] };
    if (!Array.isArray(stored))
      return { accepted: [], refused: [{ reason: 'malformed', at, event: stored }] };
    const screened: Screened = { accepted: [], refused: [] };
    for (const event of stored as EventEnvelope[]) {
      const reason = this.#refusal(origin, event);
      if (reason) {
        screened.refused.push({ reason, at, event });
        continue;
      }
      const topic = this.#options.topicFor(event);
      // Defence in depth: whatever topicFor computed, a tenant's outbox reaches its own topics only.
      if (
        origin.kind === 'tenant' &&
        topic.startsWith('parley.') &&
        !topic.startsWith(kafkaTopicPrefix(origin.tenant))
      )
        screened.refused.push({ reason: 'topic-mismatch', at, event });
      else screened.accepted.push({ event, topic });
    }
    return screened;
  }

  #refusal(origin: OutboxOrigin, event: EventEnvelope): EventRefusalReason | undefined {
    if (origin.kind === 'unknown') return 'unknown-database';
    if (typeof event !== 'object' || event === null || typeof event.id !== 'string') return 'malformed';
    if (origin.kind === 'tenant' && event.tenant !== origin.tenant) return 'tenant-mismatch';
    return undefined;
  }

  /** Counted and logged once, when the refusal is recorded in the document; never the payload. */
  #reportRefused(collection: Collection<Document>, documentId: unknown, refused: RefusedOutboxEvent[]): void {
    for (const { reason, event } of refused) {
      eventRefusals.count(COMPONENT, reason as EventRefusalReason);
      const claimed = (typeof event === 'object' && event !== null ? event : {}) as Partial<EventEnvelope>;
      this.#options.logger.error(
        {
          database: collection.dbName,
          collection: collection.collectionName,
          documentId: loggable(String(documentId)),
          reason,
          eventId: loggable(claimed.id),
          eventType: loggable(claimed.type, 128),
          claimedTenant: loggable(claimed.tenant),
        },
        'outbox: event refused: its database does not vouch for it; never published',
      );
    }
  }

  async #publish(documentId: unknown, accepted: Screened['accepted']): Promise<void> {
    const byTopic = new Map<string, EventEnvelope[]>();
    for (const { event, topic } of accepted) byTopic.set(topic, [...(byTopic.get(topic) ?? []), event]);
    await this.#options.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((event) => ({
          key: this.#options.keyFor ? this.#options.keyFor(event, documentId) : String(documentId),
          value: this.#options.valueFor ? this.#options.valueFor(event) : JSON.stringify(event),
          headers: { 'event-id': event.id, 'event-type': event.type },
        })),
      })),
    });
  }

  /** True when the outbox was cleared (it still held exactly what was read). */
  async #acknowledge(
    collection: Collection<Document>,
    documentId: unknown,
    stored: unknown,
    refused: RefusedOutboxEvent[],
  ): Promise<boolean> {
    // Remove exactly the events that were handled: the filter matches only while the outbox
    // still equals what was read. If a writer pushed an event meanwhile, nothing is removed and the
    // next pass handles the whole outbox again; the duplicates are caught by consumers' inbox.
    // ($pull with a condition on the events would be finer, but FerretDB ignores it silently.)
    const unchanged = { _id: documentId, [OUTBOX_FIELD]: stored } as Filter<Document>;
    const update: Document = { $unset: { [OUTBOX_FIELD]: '', [OUTBOX_PENDING_FIELD]: '' } };
    if (refused.length > 0) update.$push = { [OUTBOX_REFUSED_FIELD]: { $each: refused } };
    const lock = this.#options.lock;
    if (!lock) return (await collection.updateOne(unchanged, update)).matchedCount === 1;
    // As the document's only writer: what the outbox holds now decides, and no writer's update
    // can land between this read and the clearing write.
    return lock(collection, documentId, async () => {
      const current = await collection.findOne({ _id: documentId } as Filter<Document>, {
        projection: { [OUTBOX_FIELD]: 1 },
      });
      if (!current || !sameOutbox(current[OUTBOX_FIELD], stored)) return false;
      return (await collection.updateOne(unchanged, update)).matchedCount === 1;
    });
  }
}

/** The same events in the same order (by id; an outbox of another shape by its whole value). */
function sameOutbox(a: unknown, b: unknown): boolean {
  const key = (outbox: unknown) =>
    JSON.stringify(
      Array.isArray(outbox)
        ? outbox.map((e) => (typeof e === 'object' && e !== null && typeof e.id === 'string' ? e.id : e))
        : (outbox ?? null),
    );
  return key(a) === key(b);
}
