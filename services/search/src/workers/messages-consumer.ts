/**
 * The indexing consumer (group `search.messages`) over every tenant's messages topic: each batch
 * of one partition becomes one bulk write to the tenant's index, then its offsets are resolved
 * (a crash redelivers the batch: writes are idempotent). Metrics: indexing lag per tenant (the
 * event's time to the write being acknowledged; searchable within the index's refresh interval
 * after that), consumer lag in records per tenant, records skipped by reason.
 */
import { type Logger, metricPrefix, TopicPatternConsumer, tenantOfTopic } from '@parley/kit';
import type { Kafka } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IndexWrite, MessageIndex } from '../domain/message-index.ts';
import type { MessageIndexer } from '../domain/message-indexer.ts';

export const MESSAGES_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.messages$/;

export interface IndexingMetrics {
  lag: Histogram<'tenant'>;
  consumerLag: Gauge<'tenant'>;
  skipped: Counter<'tenant' | 'reason'>;
}

export function indexingMetrics(registry: Registry): IndexingMetrics {
  const prefix = metricPrefix('search');
  return {
    lag: new Histogram({
      name: `${prefix}indexing_lag_seconds`,
      help: 'From a message event to its index write acknowledged, per tenant',
      labelNames: ['tenant'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: `${prefix}consumer_lag_records`,
      help: 'Records of the messages topic not yet indexed (high watermark minus the last indexed offset), per tenant and partition summed',
      labelNames: ['tenant'],
      registers: [registry],
    }),
    skipped: new Counter({
      name: `${prefix}records_skipped_total`,
      help: 'Records of the messages topic left out of the index, by reason',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    }),
  };
}

export function messagesConsumer(options: {
  kafka: Kafka;
  logger: Logger;
  index: MessageIndex;
  indexer: MessageIndexer;
  metrics: IndexingMetrics;
  refreshMs: number;
  /** Tests narrow it to their own tenant's topic, and give their own group. */
  pattern?: RegExp;
  groupId?: string;
}): TopicPatternConsumer {
  const { index, indexer, metrics } = options;
  return new TopicPatternConsumer({
    kafka: options.kafka,
    logger: options.logger,
    groupId: options.groupId ?? 'search.messages',
    pattern: options.pattern ?? MESSAGES_TOPIC_PATTERN,
    refreshMs: options.refreshMs,
    maxWaitMs: 100,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const tenant = tenantOfTopic(batch.topic);
      if (!tenant || batch.messages.length === 0) return;
      const writes: IndexWrite[] = [];
      const times: string[] = [];
      let handled = 0;
      for (const message of batch.messages) {
        // A rebalance or a shutdown: index what was read, leave the rest for redelivery.
        if (!isRunning() || isStale()) break;
        handled++;
        const record = await indexer.writeFor(tenant, message.key?.toString('utf8'), message.value);
        if (record.skipped) {
          metrics.skipped.inc({ tenant, reason: record.skipped });
          options.logger.warn(
            { tenant, topic: batch.topic, offset: message.offset, reason: record.skipped },
            'message record not indexed',
          );
        }
        if (record.write) writes.push(record.write);
        if (record.write && record.eventTime) times.push(record.eventTime);
      }
      await index.apply(writes);
      const now = Date.now();
      for (const time of times) metrics.lag.observe({ tenant }, Math.max(0, (now - Date.parse(time)) / 1000));
      const last = batch.messages[handled - 1];
      if (last) {
        resolveOffset(last.offset);
        metrics.consumerLag.set(
          { tenant },
          Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)),
        );
      }
      await heartbeat();
    },
  });
}
