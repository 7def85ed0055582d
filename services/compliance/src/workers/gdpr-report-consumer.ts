/**
 * Reads participants' reports (gdpr.participant.reported.v1) from every tenant's gdpr topic and
 * applies them to their jobs. Applying a report is idempotent (it sets that participant's state),
 * so redelivery is harmless; requests and other event types on the topic are skipped.
 */

import { TopicPatternConsumer } from '@parley/compliance-client';
import { decodeEnvelope, GdprParticipantReported, InvalidEventError, parseEvent } from '@parley/contracts';
import type { Logger } from '@parley/kit';
import type { Kafka } from 'kafkajs';
import type { GdprCoordinator } from '../domain/gdpr-coordinator.ts';

export const GDPR_TOPIC_PATTERN = /^parley\.([a-z0-9-]+)\.gdpr$/;

export function createGdprReportConsumer(options: {
  kafka: Kafka;
  coordinator: GdprCoordinator;
  logger: Logger;
  refreshMs: number;
  groupId?: string;
  /** Narrows the topics (tests consume only their own tenant's). */
  pattern?: RegExp;
}): TopicPatternConsumer {
  const { logger } = options;
  return new TopicPatternConsumer({
    kafka: options.kafka,
    logger,
    groupId: options.groupId ?? 'compliance.gdpr-reports',
    pattern: options.pattern ?? GDPR_TOPIC_PATTERN,
    refreshMs: options.refreshMs,
    maxWaitMs: 500,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const tenant = GDPR_TOPIC_PATTERN.exec(batch.topic)?.[1];
      if (!tenant) return;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        try {
          const envelope = decodeEnvelope(message.value);
          if (envelope.type === GdprParticipantReported.type) {
            const event = parseEvent(GdprParticipantReported, envelope);
            if (event.tenant === tenant) await options.coordinator.applyReport(tenant, event.payload);
            else logger.warn({ tenant, claimed: event.tenant }, 'gdpr: report for another tenant ignored');
          }
        } catch (error) {
          if (!(error instanceof InvalidEventError)) throw error;
          logger.warn(
            { tenant, offset: message.offset, problems: error.problems },
            'gdpr: malformed event skipped',
          );
        }
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
