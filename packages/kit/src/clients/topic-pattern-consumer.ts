/**
 * A Kafka consumer over every tenant's topic of one stream (parley.<tenant>.<stream>). kafkajs
 * resolves a subscription when it subscribes, so a tenant created later would be missed until
 * a restart; this consumer lists the matching topics every `refreshMs` and, when the set has
 * changed, rejoins its group with them. Offsets are committed only after the handler returns,
 * so a crash redelivers (handlers are idempotent) and never skips.
 *
 * A message whose envelope names another tenant than its topic never reaches the handler
 * (envelope-tenant-check.ts): the topic's tenant is the only one a handler may act for.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Stoppable } from '../lifecycle.ts';
import type { Logger } from '../logger.ts';
import { type ForeignEnvelopeHandler, refusingForeignEnvelopes } from './envelope-tenant-check.ts';

export interface TopicPatternConsumerOptions {
  kafka: Kafka;
  logger: Logger;
  groupId: string;
  /** e.g. /^parley\.[a-z0-9-]+\.audit$/ */
  pattern: RegExp;
  refreshMs: number;
  /**
   * Handles one batch of one partition; resolve offsets through the payload. The batch holds only
   * messages whose envelope agrees with the topic's tenant (or names none: tombstones, garbage).
   */
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
  /** Each message refused because its envelope names another tenant (already counted and logged). */
  onForeignEnvelope?: ForeignEnvelopeHandler;
  /** Broker-side batching: wait up to maxWaitMs for minBytes. */
  minBytes?: number;
  maxWaitMs?: number;
  /** Where a group with no committed offset starts: the beginning (default) or new messages only. */
  fromBeginning?: boolean;
  /** Called each time the group is joined (after a start or a rejoin with new topics). */
  onJoin?: () => void;
  /**
   * Commit resolved offsets every this often (and on stop), off the batch loop, instead of after
   * every batch (kafkajs' autoCommit commits after each one: a broker round trip before the next
   * batch is handled). A crash then redelivers up to this much more; only for handlers that take a redelivery as well as they
   * take any (the socket replicas' delivery, whose clients drop a seq they have).
   */
  commitIntervalMs?: number;
  /** Batches of this many partitions handled at once (kafkajs' partitionsConsumedConcurrently; default 1). */
  partitionsConcurrently?: number;
}

export class TopicPatternConsumer implements Stoppable {
  readonly name: string;
  readonly #options: TopicPatternConsumerOptions;
  #consumer: Consumer | undefined;
  #topics: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #refreshing: Promise<void> = Promise.resolve();
  /** commitIntervalMs: the next offset to commit per topic and partition, not yet committed. */
  readonly #resolved = new Map<string, { topic: string; partition: number; offset: string }>();
  #commitTimer: NodeJS.Timeout | undefined;

  constructor(options: TopicPatternConsumerOptions) {
    this.#options = options;
    this.name = `consumer ${options.groupId}`;
  }

  get topics(): readonly string[] {
    return this.#topics;
  }

  async start(): Promise<void> {
    await this.refresh();
    const { commitIntervalMs } = this.#options;
    if (commitIntervalMs !== undefined)
      this.#commitTimer = setInterval(() => void this.#commitResolved(), commitIntervalMs);
    this.#timer = setInterval(() => {
      this.#refreshing = this.#refreshing
        .then(() => this.refresh())
        .catch((error) => {
          this.#options.logger.warn(
            { err: error, group: this.#options.groupId },
            'topic refresh failed; will retry',
          );
        });
    }, this.#options.refreshMs);
    this.#timer.unref();
  }

  /** Re-lists topics and rejoins when the set grew (tests call it instead of waiting). */
  async refresh(): Promise<void> {
    if (this.#stopped) return;
    const admin = this.#options.kafka.admin();
    await admin.connect();
    let topics: string[];
    try {
      topics = (await admin.listTopics()).filter((t) => this.#options.pattern.test(t)).sort();
    } finally {
      await admin.disconnect();
    }
    if (topics.length === 0 || topics.join() === this.#topics.join()) return;
    await this.#commitResolved();
    await this.#consumer?.disconnect();
    const consumer = this.#options.kafka.consumer({
      groupId: this.#options.groupId,
      allowAutoTopicCreation: false,
      minBytes: this.#options.minBytes ?? 1,
      maxWaitTimeInMs: this.#options.maxWaitMs ?? 5_000,
    });
    // A crash (unpatched kafkajs crashed on a subscribed topic deleted meanwhile; patched for
    // #1622 it drops the topic and goes on) would restart the consumer in a tight loop with the
    // stale list; re-list at once instead of at the next tick.
    consumer.on(consumer.events.CRASH, () => {
      this.#refreshing = this.#refreshing.then(() => this.refresh()).catch(() => {});
    });
    const onJoin = this.#options.onJoin;
    if (onJoin) consumer.on(consumer.events.GROUP_JOIN, () => onJoin());
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.#options.fromBeginning ?? true });
    const eachBatch = refusingForeignEnvelopes(
      this.#options.groupId,
      this.#options.logger,
      this.#options.eachBatch,
      this.#options.onForeignEnvelope,
    );
    const byInterval = this.#options.commitIntervalMs !== undefined;
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitionsConcurrently ?? 1,
      autoCommit: !byInterval,
      // By interval: each resolved offset is noted here and committed by #commitResolved.
      eachBatch: byInterval
        ? (payload: EachBatchPayload) =>
            eachBatch({
              ...payload,
              resolveOffset: (offset: string) => {
                payload.resolveOffset(offset);
                this.#resolved.set(`${payload.batch.topic}\u0000${payload.batch.partition}`, {
                  topic: payload.batch.topic,
                  partition: payload.batch.partition,
                  offset: (BigInt(offset) + 1n).toString(),
                });
              },
            })
        : eachBatch,
    });
    this.#consumer = consumer;
    this.#topics = topics;
    this.#options.logger.info({ group: this.#options.groupId, topics: topics.length }, 'consuming');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#commitTimer);
    await this.#refreshing.catch(() => {});
    await this.#commitResolved();
    await this.#consumer?.disconnect();
  }

  /** commitIntervalMs: commits what was resolved since the last commit. */
  async #commitResolved(): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer || this.#resolved.size === 0) return;
    const offsets = [...this.#resolved.entries()];
    this.#resolved.clear();
    try {
      await consumer.commitOffsets(offsets.map(([, o]) => o));
    } catch (error) {
      // A rebalance in progress (the partition may be another member's now), the broker away: the
      // next resolved offset of the partition is committed instead; until then a restart
      // redelivers a little more, which these handlers take (commitIntervalMs).
      this.#options.logger.debug({ err: error, group: this.#options.groupId }, 'offset commit failed');
    }
  }
}
