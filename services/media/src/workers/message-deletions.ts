/**
 * The consumer (group `media.attachments`) over every tenant's messages topic that removes a
 * deleted message's files: its `messaging.message.deleted.v1` event, or the topic's tombstone
 * for it (a consumer that starts late on a compacted topic may meet only the tombstone). Every
 * other record is passed over. Idempotent (a redelivery finds nothing left to remove), and
 * offsets are resolved only after the removal, so a crash redelivers rather than forgets.
 */
import {
  type EventEnvelope,
  InvalidEventError,
  MessageChangedPayloadSchema,
  MessageDeletedEvent,
  parseEnvelope,
} from '@parley/contracts';
import { type Logger, TopicPatternConsumer, tenantOfTopic } from '@parley/kit';
import type { Kafka } from 'kafkajs';
import { Compile } from 'typebox/compile';
import type { Attachments } from '../domain/attachments.ts';

export const MESSAGES_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.messages$/;
const payloadCheck = Compile(MessageChangedPayloadSchema);

/** The message a record says is deleted, or undefined for any other record. */
export function deletedMessageOf(key: string | undefined, value: Buffer | null): string | undefined {
  // A tombstone is keyed by the message id; `<conversation>:<seq>` keys are void seqs.
  if (!value || value.length === 0) return key && !key.includes(':') ? key : undefined;
  let envelope: EventEnvelope;
  try {
    envelope = parseEnvelope(JSON.parse(value.toString('utf8')));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof InvalidEventError) return undefined;
    throw error;
  }
  if (envelope.type !== MessageDeletedEvent.type || !payloadCheck.Check(envelope.payload)) return undefined;
  return envelope.payload.messageId;
}

export function messageDeletionsConsumer(options: {
  kafka: Kafka;
  logger: Logger;
  attachments: Attachments;
  refreshMs: number;
  /** Tests narrow it to their own tenant's topic, and give their own group. */
  pattern?: RegExp;
  groupId?: string;
}): TopicPatternConsumer {
  return new TopicPatternConsumer({
    kafka: options.kafka,
    logger: options.logger,
    groupId: options.groupId ?? 'media.attachments',
    pattern: options.pattern ?? MESSAGES_TOPIC_PATTERN,
    refreshMs: options.refreshMs,
    maxWaitMs: 200,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const tenant = tenantOfTopic(batch.topic);
      if (!tenant) return;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const messageId = deletedMessageOf(message.key?.toString('utf8'), message.value);
        if (messageId) {
          const released = await options.attachments.releaseMessage(tenant, messageId);
          if (released.removed + released.held > 0)
            options.logger.info(
              { tenant, messageId, ...released },
              'attachments of a deleted message released',
            );
        }
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
