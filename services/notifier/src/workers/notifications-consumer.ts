/**
 * The mail consumer (group `notifier.mail`) over every tenant's notifications topic. Records of a
 * partition are handled in order, one at a time (a mail is one SMTP transaction on a pooled
 * connection; the order keeps a reissued invitation after the one it replaces), and each offset
 * is resolved after its record is finished, so a crash or a rebalance redelivers only what was
 * not: the delivery log (keyed by event id) makes that redelivery send nothing twice.
 */
import { decodeEnvelope } from '@parley/contracts';
import { type Logger, TopicPatternConsumer, tenantOfTopic } from '@parley/kit';
import type { Kafka } from 'kafkajs';
import type { MailDispatcher } from '../domain/mail-dispatcher.ts';
import type { MailMetrics } from '../domain/mail-metrics.ts';

export const NOTIFICATIONS_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.notifications$/;

export function notificationsConsumer(options: {
  kafka: Kafka;
  logger: Logger;
  dispatcher: MailDispatcher;
  metrics: MailMetrics;
  refreshMs: number;
  /** Tests narrow it to their own tenant's topic, and give their own group. */
  pattern?: RegExp;
  groupId?: string;
}) {
  const { dispatcher, metrics, logger } = options;
  let stopping = false;
  const consumer = new TopicPatternConsumer({
    kafka: options.kafka,
    logger,
    groupId: options.groupId ?? 'notifier.mail',
    pattern: options.pattern ?? NOTIFICATIONS_TOPIC_PATTERN,
    refreshMs: options.refreshMs,
    maxWaitMs: 100,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const tenant = tenantOfTopic(batch.topic);
      if (!tenant) return;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        let event: ReturnType<typeof decodeEnvelope>;
        try {
          event = decodeEnvelope(message.value);
        } catch {
          metrics.skipped.inc({ tenant, reason: 'invalid-event' });
          logger.warn({ tenant, topic: batch.topic, offset: message.offset }, 'record is no event; skipped');
          resolveOffset(message.offset);
          continue;
        }
        try {
          await dispatcher.handle(
            tenant,
            event,
            { topic: batch.topic, partition: batch.partition, offset: message.offset },
            heartbeat,
          );
        } catch (error) {
          if (stopping) break; // a retry cut short: this record and the rest come again
          throw error;
        }
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
  return {
    name: consumer.name,
    consumer,
    start: async () => {
      stopping = false;
      dispatcher.resume();
      await consumer.start();
    },
    stop: async () => {
      // A mail waiting to be retried gives up its wait; its offset stays unresolved.
      stopping = true;
      dispatcher.abort();
      await consumer.stop();
    },
  };
}
