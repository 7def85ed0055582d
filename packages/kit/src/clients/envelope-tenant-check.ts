/**
 * A consumer never acts on an event whose envelope names another tenant than its topic
 * (`parley.<tenant>.<stream>`): the topic is where the platform put it, the envelope is whatever
 * its writer claimed. Every TopicPatternConsumer runs its handler through this check, so each
 * service (and each one written later) gets it without writing it: a refused message is counted
 * (`parley_events_refused_total{component="<group>",reason="tenant-mismatch"}`), logged without
 * its value, left out of the batch the handler sees, and its offset committed like a handled one.
 *
 * The check reads only the envelope's top-level `tenant` (the handler still validates the whole
 * envelope). A value that is not a JSON object (a compacted topic's tombstone, a malformed
 * message) names no tenant and is left to the handler, which refuses what it cannot parse.
 */
import type { EachBatchPayload } from 'kafkajs';
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

export function refusingForeignEnvelopes(group: string, logger: Logger, eachBatch: EachBatch): EachBatch {
  return async (payload) => {
    const { batch } = payload;
    const tenant = tenantOfTopic(batch.topic);
    if (!tenant) return eachBatch(payload);
    const refused = new Set<string>();
    for (const message of batch.messages) {
      const foreign = foreignTenantClaim(tenant, message.value);
      if (!foreign) continue;
      refused.add(message.offset);
      // Counted per delivery: a batch redelivered after a handler's failure counts again.
      eventRefusals.count(group, 'tenant-mismatch');
      logger.error(
        {
          group,
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          claimedTenant: loggable(foreign.claimed),
        },
        'event refused: its envelope names another tenant than its topic; not handled',
      );
    }
    if (refused.size === 0) return eachBatch(payload);

    let resolvedUpTo = -1n;
    const resolveOffset = (offset: string) => {
      payload.resolveOffset(offset);
      if (BigInt(offset) > resolvedUpTo) resolvedUpTo = BigInt(offset);
    };
    const allowed = batch.messages.filter((m) => !refused.has(m.offset));
    if (allowed.length > 0) {
      // The same batch (its offsets, watermarks and methods) with the refused messages left out.
      const filtered = Object.create(batch, { messages: { value: allowed, enumerable: true } });
      await eachBatch({ ...payload, batch: filtered, resolveOffset });
    }
    // Refused messages the handler's own resolutions did not cover are committed too, but never
    // past a message the handler left unhandled (it stopped early: a rebalance, a shutdown).
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset <= resolvedUpTo) continue;
      if (!refused.has(message.offset)) break;
      resolveOffset(message.offset);
    }
  };
}
