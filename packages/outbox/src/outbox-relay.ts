/**
 * Publishes the events that documents carry in their outbox, then removes them. The order is
 * what makes it safe: publish, wait for Kafka's acknowledgement, only then remove. A crash in
 * between publishes an event twice, never zero times; consumers deduplicate on the event id
 * (see inbox.ts). Events of one document keep their order: they share a key (the document id).
 */
import type { EventEnvelope } from '@parley/contracts';
import type { Logger, Stoppable } from '@parley/kit';
import type { Producer } from 'kafkajs';
import type { Collection, Document, Filter } from 'mongodb';
import { OUTBOX_FIELD, OUTBOX_PENDING_FIELD, type OutboxFields } from './outbox-fields.ts';

export interface OutboxRelayOptions {
  producer: Producer;
  logger: Logger;
  /** The collections whose documents may carry events; asked again on every pass (tenants come and go). */
  sources: () => Promise<Collection<Document>[]>;
  /** Which topic an event goes to, e.g. `(e) => kafkaTopic(e.tenant, 'keys')`. */
  topicFor: (event: EventEnvelope) => string;
  intervalMs?: number;
  batchSize?: number;
  /** How long stop() may spend on its final flush before leaving the rest pending. */
  stopTimeoutMs?: number;
}

/** A document whose events failed to go out waits this long (doubling per failure) before the next try. */
const FIRST_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 60_000;

export class OutboxRelay implements Stoppable {
  readonly name = 'outbox-relay';
  readonly #options: Required<OutboxRelayOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = true;
  /** Documents that failed to publish, and when they may be tried again (by collection and id). */
  readonly #backoff = new Map<string, { failures: number; retryAt: number }>();

  constructor(options: OutboxRelayOptions) {
    this.#options = { intervalMs: 250, batchSize: 100, stopTimeoutMs: 5_000, ...options };
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
    const pending = (await collection
      .find({ [OUTBOX_PENDING_FIELD]: true }, { projection: { [OUTBOX_FIELD]: 1 } })
      .limit(this.#options.batchSize)
      .toArray()) as (Document & OutboxFields)[];
    let published = 0;
    for (const document of pending) {
      const events = document[OUTBOX_FIELD] ?? [];
      const key = `${collection.namespace}/${String(document._id)}`;
      const backoff = this.#backoff.get(key);
      if (backoff && backoff.retryAt > Date.now()) continue;
      try {
        if (events.length > 0) await this.#publish(document._id, events);
        await this.#acknowledge(collection, document._id, events);
        this.#backoff.delete(key);
        published += events.length;
      } catch (error) {
        // One document whose events cannot go out (say, its topic is missing) must not hold back
        // every other document's: it stays pending and is retried later, less and less often.
        const failures = (backoff?.failures ?? 0) + 1;
        const delay = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** (failures - 1));
        this.#backoff.set(key, { failures, retryAt: Date.now() + delay });
        this.#options.logger.warn(
          {
            err: error,
            collection: collection.collectionName,
            eventIds: events.map((e) => e.id),
            retryInMs: delay,
          },
          'outbox: publishing failed; events stay pending',
        );
      }
    }
    return published;
  }

  async #publish(documentId: unknown, events: EventEnvelope[]): Promise<void> {
    const byTopic = new Map<string, EventEnvelope[]>();
    for (const event of events) {
      const topic = this.#options.topicFor(event);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), event]);
    }
    await this.#options.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((event) => ({
          key: String(documentId),
          value: JSON.stringify(event),
          headers: { 'event-id': event.id, 'event-type': event.type },
        })),
      })),
    });
  }

  async #acknowledge(collection: Collection<Document>, documentId: unknown, events: EventEnvelope[]) {
    // Remove exactly the events that were published: the filter matches only while the outbox
    // still equals what was read. If a writer pushed an event meanwhile, nothing is removed and the
    // next pass publishes the whole outbox again; the duplicates are caught by consumers' inbox.
    // ($pull with a condition on the events would be finer, but FerretDB ignores it silently.)
    const unchanged = { _id: documentId, [OUTBOX_FIELD]: events } as Filter<Document>;
    await collection.updateOne(unchanged, { $unset: { [OUTBOX_FIELD]: '', [OUTBOX_PENDING_FIELD]: '' } });
  }
}
