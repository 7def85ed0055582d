/**
 * A consumer never acts on an event whose envelope names another tenant than its topic
 * (`parley.<tenant>.<stream>`): the topic is where the platform put it, the envelope is whatever
 * its writer claimed. Every TopicPatternConsumer runs its handler through this check, so each
 * service (and each one written later) gets it without writing it: a refused message is counted
 * (`parley_events_refused_total{component="<group>",reason="tenant-mismatch"}`), logged without
 * its value, left out of the batch the handler sees (a consumer that keeps evidence, as the audit
 * ingest does, is given it through `onForeignEnvelope`), and its offset committed like a handled
 * one.
 *
 * The check reads only the envelope's top-level `tenant` (the handler still validates the whole
 * envelope). A value that is not a JSON object (a compacted topic's tombstone, a malformed
 * message) names no tenant and is left to the handler, which refuses what it cannot parse.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { eventRefusals, loggable } from './event-refusals.ts';

const TENANT_TOPIC = /^parley\.([a-z0-9-]+)\.([a-z0-9-]+)$/;

/** The tenant of a `parley.<tenant>.<stream>` topic; undefined for any other topic. */
export function tenantOfTopic(topic: string): string | undefined {
  return TENANT_TOPIC.exec(topic)?.[1];
}

/** The envelope's claimed tenant when it is not the topic's; undefined when it agrees or names none. */
export function foreignTenantClaim(
  topicTenant: string,
  value: Buffer | null,
): { claimed: unknown } | undefined {
  if (!value || value.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const claimed = (parsed as { tenant?: unknown }).tenant;
  return claimed === topicTenant ? undefined : { claimed };
}

type EachBatch = (payload: EachBatchPayload) => Promise<void>;

/** Called for each refused message, in its place in the partition's order (to park it, say). */
export type ForeignEnvelopeHandler = (
  message: KafkaMessage,
  refusal: { topic: string; partition: number; claimedTenant: unknown },
) => Promise<void>;

export function refusingForeignEnvelopes(
  group: string,
  logger: Logger,
  eachBatch: EachBatch,
  onForeign?: ForeignEnvelopeHandler,
): EachBatch {
  return async (payload) => {
    const { batch } = payload;
    const tenant = tenantOfTopic(batch.topic);
    if (!tenant) return eachBatch(payload);
    const claims = new Map<string, unknown>();
    for (const message of batch.messages) {
      const foreign = foreignTenantClaim(tenant, message.value);
      if (foreign) claims.set(message.offset, foreign.claimed);
    }
    if (claims.size === 0) return eachBatch(payload);

    let resolvedUpTo = -1n;
    const resolveOffset = (offset: string) => {
      payload.resolveOffset(offset);
      if (BigInt(offset) > resolvedUpTo) resolvedUpTo = BigInt(offset);
    };
    // The handler sees the batch in runs between refused messages (the same batch object, its
    // offsets, watermarks and methods, with only that run's messages), so whatever it and
    // onForeign write stays in the partition's order.
    const handleRun = async (run: KafkaMessage[]): Promise<boolean> => {
      if (run.length === 0) return true;
      const part = Object.create(batch, { messages: { value: run, enumerable: true } });
      await eachBatch({ ...payload, batch: part, resolveOffset });
      // A handler that stopped early (a rebalance, a shutdown) left the rest for redelivery.
      return resolvedUpTo >= BigInt((run[run.length - 1] as KafkaMessage).offset);
    };
    let run: KafkaMessage[] = [];
    for (const message of batch.messages) {
      if (!claims.has(message.offset)) {
        run.push(message);
        continue;
      }
      if (!(await handleRun(run))) return;
      run = [];
      const claimedTenant = claims.get(message.offset);
      // Counted per delivery: a batch redelivered after a handler's failure counts again.
      eventRefusals.count(group, 'tenant-mismatch');
      logger.error(
        {
          group,
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          claimedTenant: loggable(claimedTenant),
        },
        'event refused: its envelope names another tenant than its topic; not handled',
      );
      await onForeign?.(message, { topic: batch.topic, partition: batch.partition, claimedTenant });
      resolveOffset(message.offset);
    }
    await handleRun(run);
  };
}
