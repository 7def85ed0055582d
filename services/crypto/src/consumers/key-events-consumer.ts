/**
 * Drops cached keys when any process announces a key change (`crypto.key.*` on every tenant's
 * `keys` topic), so a rotation, a raised minimum or a destruction takes effect in every replica
 * at once rather than after the cache TTL. Every replica must see every event, so each has its
 * own consumer group (`crypto.key-cache.<instance>`), starting at the latest offset: a fresh
 * replica has nothing cached yet. Invalidation is idempotent, so redelivery is harmless.
 *
 * Topics are matched by pattern; kafkajs resolves a pattern when subscribing, so a tenant
 * created afterwards is covered by the cache TTL until the next restart (stated in the README).
 */
import { randomUUID } from 'node:crypto';
import { decodeEnvelope, InvalidEventError } from '@parley/contracts';
import type { Keyring } from '@parley/keyring';
import type { Logger, Stoppable } from '@parley/kit';
import type { Consumer, Kafka } from 'kafkajs';

export const KEY_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.keys$/;

export interface KeyEventsConsumerOptions {
  kafka: Kafka;
  keyring: Keyring;
  logger: Logger;
  instanceId?: string;
}

export class KeyEventsConsumer implements Stoppable {
  readonly name = 'key-events-consumer';
  readonly groupId: string;
  private readonly consumer: Consumer;
  private readonly options: KeyEventsConsumerOptions;
  /** Resolves when the consumer has joined its group and been assigned partitions (tests wait on it). */
  readonly joined: Promise<void>;

  constructor(options: KeyEventsConsumerOptions) {
    this.options = options;
    this.groupId = `crypto.key-cache.${options.instanceId ?? randomUUID()}`;
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
        try {
          const event = decodeEnvelope(message.value);
          if (!event.type.startsWith('crypto.key.')) return;
          const keyName = (event.payload as { keyName?: unknown }).keyName;
          this.options.keyring.invalidate(event.tenant, typeof keyName === 'string' ? keyName : undefined);
          this.options.logger.debug({ tenant: event.tenant, type: event.type }, 'key cache invalidated');
        } catch (error) {
          if (!(error instanceof InvalidEventError)) throw error;
          // A malformed event cannot be fixed by retrying; note it and move on.
          this.options.logger.warn({ topic, problems: error.problems }, 'ignored a malformed key event');
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    // The group exists only for this instance; remove it so groups do not pile up per restart.
    await this.deleteGroup().catch(() => {});
  }

  private async deleteGroup(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([this.groupId]);
    } finally {
      await admin.disconnect();
    }
  }
}
