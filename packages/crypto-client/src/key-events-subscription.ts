/**
 * Listens to every tenant's `keys` topic for `crypto.key.*` events, for processes that cache keys:
 * the crypto service drops its keyring cache entry, a service using EnvelopeEncryptor calls
 * `handleKeyEvent`. Every instance must see every event, so each has a consumer group of its own
 * (`<groupPrefix>.<uuid>`, deleted on stop), starting at the latest offset: a fresh instance has
 * nothing cached yet. Invalidating is idempotent, so redelivery is harmless.
 *
 * Topics are matched by pattern; kafkajs resolves a pattern when subscribing, so a tenant created
 * afterwards is covered by the cache TTL until the next restart.
 */
import { randomUUID } from 'node:crypto';
import { decodeEnvelope, type EventEnvelope, InvalidEventError } from '@parley/contracts';
import type { Logger, Stoppable } from '@parley/kit';
import type { Consumer, Kafka } from 'kafkajs';

export const KEY_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.keys$/;

export interface KeyEventsSubscriptionOptions {
  kafka: Kafka;
  logger: Logger;
  /** Consumer group prefix, `<service>.<purpose>` (e.g. "messaging.key-cache"). */
  groupPrefix: string;
  onEvent: (event: EventEnvelope) => void | Promise<void>;
}

export class KeyEventsSubscription implements Stoppable {
  readonly name = 'key-events-subscription';
  readonly groupId: string;
  /** Resolves once the consumer has joined its group (tests wait on it). */
  readonly joined: Promise<void>;
  private readonly consumer: Consumer;
  private readonly options: KeyEventsSubscriptionOptions;

  constructor(options: KeyEventsSubscriptionOptions) {
    this.options = options;
    this.groupId = `${options.groupPrefix}.${randomUUID()}`;
    this.consumer = options.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false });
    const joined = Promise.withResolvers<void>();
    this.joined = joined.promise;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => joined.resolve());
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [KEY_TOPIC_PATTERN], fromBeginning: false });
    await this.consumer.run({
      eachMessage: async ({ message, topic }) => {
        let event: EventEnvelope;
        try {
          event = decodeEnvelope(message.value);
        } catch (error) {
          if (!(error instanceof InvalidEventError)) throw error;
          // A malformed event cannot be fixed by retrying; note it and move on.
          this.options.logger.warn({ topic, problems: error.problems }, 'ignored a malformed key event');
          return;
        }
        if (event.type.startsWith('crypto.key.')) await this.options.onEvent(event);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
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
