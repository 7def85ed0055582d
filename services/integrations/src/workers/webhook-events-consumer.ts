/**
 * The consumer (group `integrations.webhooks`) over every tenant's messages and members topics
 * that turns message and membership events into webhook deliveries. The tenant is the topic's (kit's consumer has already
 * refused any envelope naming another); the endpoints are that tenant's, read from its database
 * for each batch. Each event is matched against each endpoint's event types and conversation
 * filter, and the deliveries are written before the offsets are resolved: a crash redelivers the
 * batch, and the deliveries' ids (endpoint + event id) make the second enqueue a no-op.
 *
 * An endpoint receives the events that happened after it was created (a consumer catching up
 * does not send an endpoint the tenant's history). Reactions, seq voids, tombstones, role
 * changes and conversation events are passed over (no webhook event type names them yet).
 */
import {
  type EventEnvelope,
  InvalidEventError,
  MemberChangedEvent,
  type MemberChangedPayload,
  MemberChangedPayloadSchema,
  type MemberWebhookData,
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
import type {
  NewDelivery,
  WebhookDeliveries,
  WebhookDeliveryDocument,
} from '../domain/webhook-deliveries.ts';
import {
  subscribes,
  type WebhookEndpointDocument,
  type WebhookEndpoints,
} from '../domain/webhook-endpoints.ts';

/** Every tenant's messages topic (message events) and members topic (membership events). */
export const WEBHOOK_TOPIC_PATTERN = /^parley\.[a-z0-9-]+\.(messages|members)$/;

const MESSAGE_WEBHOOK_TYPES: ReadonlyMap<string, WebhookEventType> = new Map([
  [MessageCreatedEvent.type, 'message.created'],
  [MessageEditedEvent.type, 'message.edited'],
  [MessageDeletedEvent.type, 'message.deleted'],
]);
const MEMBER_WEBHOOK_TYPES: Readonly<Record<MemberChangedPayload['change'], WebhookEventType | undefined>> = {
  joined: 'member.joined',
  added: 'member.joined',
  left: 'member.removed',
  removed: 'member.removed',
  'role-changed': 'member.role-changed',
};
const payloadCheck = Compile(MessageChangedPayloadSchema);
const memberCheck = Compile(MemberChangedPayloadSchema);

export type WebhookEvent =
  | { id: string; type: WebhookEventType; time: Date; payload: MessageChangedPayload; member?: undefined }
  | { id: string; type: WebhookEventType; time: Date; member: MemberWebhookData; payload?: undefined };

/**
 * The webhook event a record is, or undefined for any record no endpoint can subscribe to. The
 * record's tenant is not read here: it is the topic's (the kit's consumer refused any envelope
 * naming another before this is called).
 */
export function webhookEventOf(value: Buffer | null): WebhookEvent | undefined {
  if (!value || value.length === 0) return undefined;
  let envelope: EventEnvelope;
  try {
    envelope = parseEnvelope(JSON.parse(value.toString('utf8')));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof InvalidEventError) return undefined;
    throw error;
  }
  const time = new Date(envelope.time);
  if (envelope.type === MemberChangedEvent.type) {
    if (!memberCheck.Check(envelope.payload)) return undefined;
    const { conversationId, userId, actorId, change, role, at } = envelope.payload;
    const type = MEMBER_WEBHOOK_TYPES[change];
    if (!type) return undefined;
    // The role a joined member was given, or a changed member's new one; none for a leaver.
    const withRole = type === 'member.joined' || type === 'member.role-changed';
    return {
      id: envelope.id,
      type,
      time,
      member: { conversationId, userId, actorId, change, ...(withRole && role ? { role } : {}), at },
    };
  }
  const type = MESSAGE_WEBHOOK_TYPES.get(envelope.type);
  if (!type || !payloadCheck.Check(envelope.payload)) return undefined;
  return { id: envelope.id, type, time, payload: envelope.payload };
}

export function deliveriesFor(
  event: WebhookEvent,
  endpoints: Awaited<ReturnType<WebhookEndpoints['documents']>>,
): NewDelivery[] {
  const conversationId = event.member ? event.member.conversationId : event.payload.conversationId;
  return endpoints
    .filter((e) => e.createdAt.getTime() <= event.time.getTime() && subscribes(e, event.type, conversationId))
    .map((e) => {
      const common = {
        endpointId: e._id,
        eventId: event.id,
        eventType: event.type,
        eventTime: event.time,
        conversationId,
      };
      if (event.member) return { ...common, member: event.member };
      const { payload } = event;
      return {
        ...common,
        messageId: payload.messageId,
        senderId: payload.senderId,
        messageCreatedAt: payload.createdAt,
        ...(payload.parentId ? { parentId: payload.parentId } : {}),
        ...(payload.sealed && !payload.deleted ? { sealed: payload.sealed } : {}),
      };
    });
}

export function webhookEventsConsumer(options: {
  kafka: Kafka;
  logger: Logger;
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveries;
  refreshMs: number;
  /**
   * The deliverer, to hand new deliveries to in memory: those of endpoints it accepts are
   * enqueued held by it (its lease) and given to it, so they need no claim and no due read.
   */
  handoff?: {
    readonly leaseMs: number;
    accepts(tenant: string, endpointId: string): boolean;
    submit(tenant: string, endpoint: WebhookEndpointDocument, docs: WebhookDeliveryDocument[]): void;
  };
  /** Told of each tenant that got deliveries enqueued due (the deliverer looks there at once). */
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
    pattern: options.pattern ?? WEBHOOK_TOPIC_PATTERN,
    refreshMs: options.refreshMs,
    maxWaitMs: 100,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const tenant = tenantOfTopic(batch.topic);
      if (!tenant || batch.messages.length === 0) return;
      const subscribed = await endpoints.documents(tenant);
      // The batch's deliveries, written together before any offset is resolved.
      const wanted: NewDelivery[] = [];
      let last: string | undefined;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const event = subscribed.length > 0 ? webhookEventOf(message.value) : undefined;
        if (event) wanted.push(...deliveriesFor(event, subscribed));
        last = message.offset;
      }
      const { handoff } = options;
      const held = new Set(
        handoff ? subscribed.filter((e) => handoff.accepts(tenant, e._id)).map((e) => e._id) : [],
      );
      const [inserted, due] = await Promise.all([
        handoff && held.size > 0
          ? deliveries.enqueue(
              tenant,
              wanted.filter((d) => held.has(d.endpointId)),
              { leaseMs: handoff.leaseMs },
            )
          : [],
        deliveries.enqueue(
          tenant,
          wanted.filter((d) => !held.has(d.endpointId)),
        ),
      ]);
      if (last !== undefined) resolveOffset(last);
      await heartbeat();
      if (handoff)
        for (const endpoint of subscribed) {
          const docs = inserted.filter((d) => d.endpointId === endpoint._id);
          if (docs.length > 0) handoff.submit(tenant, endpoint, docs);
        }
      if (due.length > 0) options.onEnqueued?.(tenant);
    },
  });
}
