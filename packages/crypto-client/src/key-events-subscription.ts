/**
 * Listens to every tenant's `keys` topic for `crypto.key.*` events, for processes that cache keys:
 * the crypto service drops its keyring cache entry, a service using EnvelopeEncryptor calls
 * `handleKeyEvent`. Every instance must see every event, so each has a consumer group of its own
 * (`<groupPrefix>.<uuid>`, deleted on stop). Invalidating is idempotent, so redelivery and a
 * replay of old events are harmless.
 *
 * The topics are re-listed every `refreshMs` (the kit's TopicPatternConsumer), so a tenant
 * created after this process started is followed too, not only covered by the cache TTL.
 */
import { randomUUID } from 'node:crypto';
import { decodeEnvelope, type EventEnvelope, InvalidEventError } from '@parley/contracts';
import { type Logger, type Stoppable, TopicPatternConsumer } from '@parley/kit';
import type { Kafka } from 'kafkajs';

export const KEY_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.keys$/;

export interface KeyEventsSubscriptionOptions {
  kafka: Kafka;
  logger: Logger;
  /** Consumer group prefix, `<service>.<purpose>` (e.g. "messaging.key-cache"). */
  groupPrefix: string;
  onEvent: (event: EventEnvelope) => void | Promise<void>;
  /** How often new tenants' topics are looked for. */
  refreshMs?: number;
}

export class KeyEventsSubscription implements Stoppable {
  readonly name = 'key-events-subscription';
  readonly groupId: string;
  /** Resolves once the consumer has first joined its group (tests wait on it). */
  readonly joined: Promise<void>;
  private readonly consumer: TopicPatternConsumer;
  private readonly options: KeyEventsSubscriptionOptions;

  constructor(options: KeyEventsSubscriptionOptions) {
    this.options = options;
    this.groupId = `${options.groupPrefix}.${randomUUID()}`;
    const joined = Promise.withResolvers<void>();
    this.joined = joined.promise;
    this.consumer = new TopicPatternConsumer({
      kafka: options.kafka,
      logger: options.logger,
      groupId: this.groupId,
      pattern: KEY_TOPIC_PATTERN,
      refreshMs: options.refreshMs ?? 10_000,
      // From the beginning: a topic that appears later (a new tenant) may hold events published
      // before this instance re-listed the topics, and they must not be skipped. On a first start
      // this replays old key events too, which only invalidates entries of an empty cache.
      fromBeginning: true,
      maxWaitMs: 500,
      onJoin: () => joined.resolve(),
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          await this.handle(batch.topic, message.value);
          resolveOffset(message.offset);
          await heartbeat();
        }
      },
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
  }

  private async handle(topic: string, value: Buffer | null): Promise<void> {
    let event: EventEnvelope;
    try {
      event = decodeEnvelope(value);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      // A malformed event cannot be fixed by retrying; note it and move on.
      this.options.logger.warn({ topic, problems: error.problems }, 'ignored a malformed key event');
      return;
    }
    if (event.type.startsWith('crypto.key.')) await this.options.onEvent(event);
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    // The group exists only for this instance; remove it so groups do not pile up per restart.
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // best effort: an empty group expires on the broker anyway
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}
