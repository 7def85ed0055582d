/**
 * The consumer (group `integrations.webhooks`) over every tenant's messages topic that turns
 * message events into webhook deliveries. The tenant is the topic's (kit's consumer has already
 * refused any envelope naming another); the endpoints are that tenant's, read from its database
 * for each batch. Each event is matched against each endpoint's event types and conversation
 * filter, and the deliveries are written before the offsets are resolved: a crash redelivers the
 * batch, and the deliveries' ids (endpoint + event id) make the second enqueue a no-op.
 *
 * An endpoint receives the events that happened after it was created (a consumer catching up
 * does not send an endpoint the tenant's history). Reactions, seq voids and tombstones are
 * passed over (no webhook event type names them yet).
 */
import {
  type EventEnvelope,
  InvalidEventError,
  type MessageChangedPayload,
  MessageChangedPayloadSchema,
  MessageCreatedEvent,
  MessageDeletedEvent,
  MessageEditedEvent,
  parseEnvelope,
  type WebhookEventType,
} from '@parley/contracts';
import { type Logger, TopicPatternConsumer, tenantOfTopic } from '@parley/kit';
import type { Kafka } from 'kafkajs';
import { Compile } from 'typebox/compile';
import type { NewDelivery, WebhookDeliveries } from '../domain/webhook-deliveries.ts';
import { subscribes, type WebhookEndpoints } from '../domain/webhook-endpoints.ts';

export const MESSAGES_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.messages$/;

const WEBHOOK_TYPES: ReadonlyMap<string, WebhookEventType> = new Map([
  [MessageCreatedEvent.type, 'message.created'],
  [MessageEditedEvent.type, 'message.edited'],
  [MessageDeletedEvent.type, 'message.deleted'],
]);
const payloadCheck = Compile(MessageChangedPayloadSchema);

export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  time: Date;
  payload: MessageChangedPayload;
}

/** The webhook event a record is, or undefined for any record no endpoint can subscribe to. */
export function webhookEventOf(value: Buffer | null): WebhookEvent | undefined {
  if (!value || value.length === 0) return undefined;
  let envelope: EventEnvelope;
  try {
    envelope = parseEnvelope(JSON.parse(value.toString('utf8')));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof InvalidEventError) return undefined;
    throw error;
  }
  const type = WEBHOOK_TYPES.get(envelope.type);
  if (!type || !payloadCheck.Check(envelope.payload)) return undefined;
  return { id: envelope.id, type, time: new Date(envelope.time), payload: envelope.payload };
}

export function deliveriesFor(
  event: WebhookEvent,
  endpoints: Awaited<ReturnType<WebhookEndpoints['documents']>>,
): NewDelivery[] {
  const { payload } = event;
  return endpoints
    .filter(
      (e) =>
        e.createdAt.getTime() <= event.time.getTime() && subscribes(e, event.type, payload.conversationId),
    )
    .map((e) => ({
      endpointId: e._id,
      eventId: event.id,
      eventType: event.type,
      eventTime: event.time,
      conversationId: payload.conversationId,
      messageId: payload.messageId,
      senderId: payload.senderId,
      messageCreatedAt: payload.createdAt,
      ...(payload.parentId ? { parentId: payload.parentId } : {}),
      ...(payload.sealed && !payload.deleted ? { sealed: payload.sealed } : {}),
    }));
}

export function webhookEventsConsumer(options: {
  kafka: Kafka;
  logger: Logger;
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveries;
  refreshMs: number;
  /** Told of each tenant that got deliveries (the deliverer looks there at once). */
  onEnqueued?: (tenant: string) => void;
  /** Tests narrow it to their own tenant's topic, and give their own group. */
  pattern?: RegExp;
  groupId?: string;
}): TopicPatternConsumer {
  const { endpoints, deliveries } = options;
  return new TopicPatternConsumer({
    kafka: options.kafka,
    logger: options.logger,
    groupId: options.groupId ?? 'integrations.webhooks',
    pattern: options.pattern ?? MESSAGES_TOPIC_PATTERN,
    refreshMs: options.refreshMs,
    maxWaitMs: 100,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const tenant = tenantOfTopic(batch.topic);
      if (!tenant || batch.messages.length === 0) return;
      const subscribed = await endpoints.documents(tenant);
      let enqueued = 0;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const event = subscribed.length > 0 ? webhookEventOf(message.value) : undefined;
        if (event) enqueued += await deliveries.enqueue(tenant, deliveriesFor(event, subscribed));
        resolveOffset(message.offset);
      }
      await heartbeat();
      if (enqueued > 0) options.onEnqueued?.(tenant);
    },
  });
}
