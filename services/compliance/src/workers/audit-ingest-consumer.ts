/**
 * Ingests audit records from every tenant's audit topic in batches: the broker holds each fetch
 * until about INGEST_BATCH_SIZE records' worth of bytes or INGEST_MAX_WAIT_MS has passed (the
 * original platform's 100 records or 5 seconds), and each append is at most INGEST_BATCH_SIZE
 * records. Offsets move only after the append, so a crash redelivers and the record id makes the
 * second append a no-op. An invalid record is parked in `audit_rejected` with its reason and
 * never blocks the ones behind it.
 */
import { createHash } from 'node:crypto';
import { TopicPatternConsumer } from '@parley/compliance-client';
import {
  type AuditRecordInput,
  AuditRecordSubmitted,
  InvalidEventError,
  parseEvent,
} from '@parley/contracts';
import type { Logger } from '@parley/kit';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import type { AuditLogs } from '../domain/audit-logs.ts';

export const AUDIT_TOPIC_PATTERN = /^parley\.([a-z0-9-]+)\.audit$/;
export const AUDIT_REJECTED_COLLECTION = 'audit_rejected';

export interface AuditIngestOptions {
  kafka: Kafka;
  client: MongoClient;
  auditLogs: AuditLogs;
  logger: Logger;
  batchSize: number;
  maxWaitMs: number;
  refreshMs: number;
  groupId?: string;
  /** Narrows the topics (tests consume only their own tenant's). */
  pattern?: RegExp;
}

export function createAuditIngestConsumer(options: AuditIngestOptions): TopicPatternConsumer {
  const { logger, batchSize } = options;
  return new TopicPatternConsumer({
    kafka: options.kafka,
    logger,
    groupId: options.groupId ?? 'compliance.audit-ingest',
    pattern: options.pattern ?? AUDIT_TOPIC_PATTERN,
    refreshMs: options.refreshMs,
    minBytes: batchSize * 400,
    maxWaitMs: options.maxWaitMs,
    // The kit keeps an envelope naming another tenant away from eachBatch; parked here like any
    // invalid record, in its place, so the producer can find it by digest and offset.
    onForeignEnvelope: async (message, { topic, claimedTenant }) => {
      const tenant = AUDIT_TOPIC_PATTERN.exec(topic)?.[1];
      if (!tenant) return;
      const reason = `event for tenant ${String(claimedTenant).slice(0, 64)} on ${tenant}'s topic`;
      await reject(options.client, tenant, message, reason);
      options.auditLogs.metrics?.rejected('kafka');
    },
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const tenant = AUDIT_TOPIC_PATTERN.exec(batch.topic)?.[1];
      if (!tenant) return;
      let chunk: { input: AuditRecordInput; source: string; offset: string }[] = [];
      const flush = async () => {
        if (chunk.length === 0) return;
        // One source per append call keeps `source` exact for each record.
        const bySource = new Map<string, AuditRecordInput[]>();
        for (const item of chunk)
          bySource.set(item.source, [...(bySource.get(item.source) ?? []), item.input]);
        for (const [source, inputs] of bySource) {
          await options.auditLogs.append(tenant, inputs, source, {
            path: 'kafka',
            // Fields that do not open under the subject's key: parked like any invalid record.
            onRejected: async (input, reason) => {
              const offset = chunk.find((item) => item.input.id === input.id)?.offset ?? '?';
              await reject(
                options.client,
                tenant,
                { offset, value: Buffer.from(JSON.stringify(input)) },
                reason,
              );
              logger.warn({ tenant, offset, reason }, 'audit: record rejected');
            },
          });
        }
        resolveOffset((chunk[chunk.length - 1] as { offset: string }).offset);
        chunk = [];
        await heartbeat();
      };
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const parsed = parse(tenant, message);
        if ('reason' in parsed) {
          await flush();
          await reject(options.client, tenant, message, parsed.reason);
          options.auditLogs.metrics?.rejected('kafka');
          logger.warn({ tenant, offset: message.offset, reason: parsed.reason }, 'audit: record rejected');
          resolveOffset(message.offset);
          continue;
        }
        chunk.push({ ...parsed, offset: message.offset });
        if (chunk.length >= batchSize) await flush();
      }
      await flush();
    },
  });
}

function parse(
  tenant: string,
  message: KafkaMessage,
): { input: AuditRecordInput; source: string } | { reason: string } {
  try {
    const value = JSON.parse(message.value?.toString() ?? 'null') as unknown;
    const event = parseEvent(AuditRecordSubmitted, value);
    // The topic names the tenant; an envelope claiming another one is refused, never re-routed.
    if (event.tenant !== tenant) return { reason: `event for tenant ${event.tenant} on ${tenant}'s topic` };
    return { input: event.payload, source: event.source };
  } catch (error) {
    if (error instanceof InvalidEventError) return { reason: error.problems.join('; ') };
    if (error instanceof SyntaxError) return { reason: 'message value is not JSON' };
    throw error;
  }
}

async function reject(
  client: MongoClient,
  tenant: string,
  message: Pick<KafkaMessage, 'offset' | 'value'>,
  reason: string,
): Promise<void> {
  await client
    .db(mongoDatabaseName(tenant))
    .collection(AUDIT_REJECTED_COLLECTION)
    .insertOne({
      reason,
      offset: message.offset,
      // Only a digest of the value: a malformed record may carry personal data in the clear,
      // which nothing here could erase later. The producer can find it by digest and offset.
      valueSha256: message.value ? createHash('sha256').update(message.value).digest('hex') : null,
      bytes: message.value?.length ?? 0,
      rejectedAt: new Date(),
    });
}
