/**
 * HTTP bodies of the integrations service (port 3012): bot users with scoped tokens, incoming
 * webhooks (a secret URL posting into one conversation), outgoing webhook endpoints signed by
 * the Standard Webhooks scheme, and their delivery log. One source for the service's validation,
 * the gateway's public routes and so the SDK.
 *
 * The admin routes are internal: the gateway presents its credential, names the tenant in the
 * path (from the admin's verified token) and the admin in the acting-user headers of messaging
 * (ACTING_USER_HEADER, ACTING_ROLES_HEADER). A bot's call carries its token in BOT_TOKEN_HEADER,
 * an incoming webhook's its secret in HOOK_SECRET_HEADER: integrations checks both itself.
 */
import { type Static, Type } from 'typebox';
import {
  ConversationIdSchema,
  MESSAGE_TEXT_MAX_LENGTH,
  MessageIdSchema,
  MessagingUserIdSchema,
} from './messaging.ts';

/** The bot token a bot presented to the gateway, handed on to integrations. */
export const BOT_TOKEN_HEADER = 'x-parley-bot-token';
/** The secret part of an incoming webhook's URL, handed on by the gateway. */
export const HOOK_SECRET_HEADER = 'x-parley-hook-secret';
/** Bot tokens begin so (a JWT never does), so the gateway tells them apart before verifying. */
export const BOT_TOKEN_PREFIX = 'pbt_';

/**
 * What a bot token may do. Least privilege: a bot acts with the member role only, in the
 * conversations an admin added it to (messaging checks membership), and only through the scopes
 * its token names (a subset of the bot's).
 */
export const BOT_SCOPES = ['messages:write', 'messages:read', 'conversations:read'] as const;
// Spelled out (not mapped from the list) so the type keeps each literal.
export const BotScopeSchema = Type.Union([
  Type.Literal('messages:write'),
  Type.Literal('messages:read'),
  Type.Literal('conversations:read'),
]);
export type BotScope = Static<typeof BotScopeSchema>;

export const IntegrationIdSchema = Type.String({ pattern: '^[A-Za-z0-9]{8,40}$' });
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Description = Type.String({ maxLength: 500 });
const Time = Type.String({ format: 'date-time' });

// ---- bots ------------------------------------------------------------------------------------

export const CreateBotBodySchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    scopes: Type.Array(BotScopeSchema, { minItems: 1, maxItems: BOT_SCOPES.length, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type CreateBotBody = Static<typeof CreateBotBodySchema>;

export const BotSchema = Type.Object({
  id: IntegrationIdSchema,
  /** The user id the bot posts as (messages' senderId): `bot.<id>`, never a person's. */
  userId: MessagingUserIdSchema,
  name: Name,
  description: Type.Optional(Description),
  scopes: Type.Array(BotScopeSchema),
  createdAt: Time,
  createdBy: MessagingUserIdSchema,
});
export type Bot = Static<typeof BotSchema>;
export const BotListSchema = Type.Object({ bots: Type.Array(BotSchema) });
export type BotList = Static<typeof BotListSchema>;

export const CreateBotTokenBodySchema = Type.Object(
  {
    /** A subset of the bot's scopes; all of them when absent. */
    scopes: Type.Optional(
      Type.Array(BotScopeSchema, { minItems: 1, maxItems: BOT_SCOPES.length, uniqueItems: true }),
    ),
    /** Days until the token stops working (default 90, at most 365). */
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false },
);
export type CreateBotTokenBody = Static<typeof CreateBotTokenBodySchema>;

export const BotTokenSchema = Type.Object({
  id: IntegrationIdSchema,
  botId: IntegrationIdSchema,
  scopes: Type.Array(BotScopeSchema),
  createdAt: Time,
  createdBy: MessagingUserIdSchema,
  expiresAt: Time,
  revokedAt: Type.Optional(Time),
});
export type BotToken = Static<typeof BotTokenSchema>;
export const BotTokenListSchema = Type.Object({ tokens: Type.Array(BotTokenSchema) });

/** Shown once, at creation: only its hash is kept. */
export const BotTokenCreatedSchema = Type.Intersect([
  BotTokenSchema,
  Type.Object({ token: Type.String({ description: 'Authorization: Bearer <token>; shown only now' }) }),
]);
export type BotTokenCreated = Static<typeof BotTokenCreatedSchema>;

/** What a bot token resolves to (the bot routes' caller). */
export const BotCallerSchema = Type.Object({
  tenant: Type.String(),
  botId: IntegrationIdSchema,
  userId: MessagingUserIdSchema,
  scopes: Type.Array(BotScopeSchema),
});
export type BotCaller = Static<typeof BotCallerSchema>;

/** POST /bot/conversations/:conversationId/messages: a bot's send (messaging's, no attachments). */
export const BotSendMessageBodySchema = Type.Object(
  {
    /** The bot's own id for the send: a retry with the same id is the same message. */
    clientMessageId: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$' }),
    text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX_LENGTH }),
    parentId: Type.Optional(MessageIdSchema),
  },
  { additionalProperties: false },
);
export type BotSendMessageBody = Static<typeof BotSendMessageBodySchema>;

// ---- incoming webhooks -----------------------------------------------------------------------

export const CreateIncomingWebhookBodySchema = Type.Object(
  { name: Name, conversationId: ConversationIdSchema },
  { additionalProperties: false },
);
export type CreateIncomingWebhookBody = Static<typeof CreateIncomingWebhookBodySchema>;

export const IncomingWebhookSchema = Type.Object({
  id: IntegrationIdSchema,
  name: Name,
  conversationId: ConversationIdSchema,
  /** The bot the webhook posts as (created with it, scope messages:write only). */
  botId: IntegrationIdSchema,
  botUserId: MessagingUserIdSchema,
  createdAt: Time,
  createdBy: MessagingUserIdSchema,
});
export type IncomingWebhook = Static<typeof IncomingWebhookSchema>;
export const IncomingWebhookListSchema = Type.Object({ webhooks: Type.Array(IncomingWebhookSchema) });

export const IncomingWebhookCreatedSchema = Type.Intersect([
  IncomingWebhookSchema,
  Type.Object({
    /** The secret URL's path below the gateway (`/api/v1/hooks/<tenant>/<id>/<secret>`): shown only now. */
    path: Type.String(),
  }),
]);
export type IncomingWebhookCreated = Static<typeof IncomingWebhookCreatedSchema>;

/**
 * Slack's incoming-webhook body: `text` is posted; Slack's other fields (blocks, username,
 * icon_emoji, channel...) are accepted and ignored (a webhook's conversation is fixed: `channel`
 * never redirects it).
 */
export const IncomingWebhookPostBodySchema = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX_LENGTH }) },
  { additionalProperties: true },
);
export type IncomingWebhookPostBody = Static<typeof IncomingWebhookPostBodySchema>;
export const IncomingWebhookPostedSchema = Type.Object({
  ok: Type.Literal(true),
  messageId: MessageIdSchema,
});

// ---- outgoing webhooks -----------------------------------------------------------------------

/**
 * Event types an endpoint subscribes to: the tenant's message changes, and its conversations'
 * membership (`member.joined`: joined or added; `member.removed`: left or removed; the data's
 * `change` says which; `member.role-changed`: a member's conversation role changed, the data's
 * `role` is the new one).
 */
export const WEBHOOK_EVENT_TYPES = [
  'message.created',
  'message.edited',
  'message.deleted',
  'member.joined',
  'member.removed',
  'member.role-changed',
] as const;
export const WebhookEventTypeSchema = Type.Union([
  Type.Literal('message.created'),
  Type.Literal('message.edited'),
  Type.Literal('message.deleted'),
  Type.Literal('member.joined'),
  Type.Literal('member.removed'),
  Type.Literal('member.role-changed'),
]);
export type WebhookEventType = Static<typeof WebhookEventTypeSchema>;

export const CreateWebhookEndpointBodySchema = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }),
    description: Type.Optional(Description),
    eventTypes: Type.Array(WebhookEventTypeSchema, {
      minItems: 1,
      maxItems: WEBHOOK_EVENT_TYPES.length,
      uniqueItems: true,
    }),
    /** Only these conversations' events; every conversation of the tenant when absent. */
    conversationIds: Type.Optional(
      Type.Array(ConversationIdSchema, { minItems: 1, maxItems: 100, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);
export type CreateWebhookEndpointBody = Static<typeof CreateWebhookEndpointBodySchema>;

export const WebhookEndpointSchema = Type.Object({
  id: IntegrationIdSchema,
  url: Type.String(),
  description: Type.Optional(Description),
  eventTypes: Type.Array(WebhookEventTypeSchema),
  conversationIds: Type.Optional(Type.Array(ConversationIdSchema)),
  createdAt: Time,
  createdBy: MessagingUserIdSchema,
});
export type WebhookEndpoint = Static<typeof WebhookEndpointSchema>;
export const WebhookEndpointListSchema = Type.Object({ endpoints: Type.Array(WebhookEndpointSchema) });

export const WebhookEndpointCreatedSchema = Type.Intersect([
  WebhookEndpointSchema,
  Type.Object({
    /** The Standard Webhooks signing secret (`whsec_<base64>`): shown only now. */
    secret: Type.String(),
  }),
]);
export type WebhookEndpointCreated = Static<typeof WebhookEndpointCreatedSchema>;

export const DeliveryStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
]);
export type DeliveryStatus = Static<typeof DeliveryStatusSchema>;

export const DeliveryAttemptSchema = Type.Object({
  at: Time,
  /** The receiver's status code; absent when none came (refused, timeout, circuit open). */
  statusCode: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.String()),
  durationMs: Type.Integer({ minimum: 0 }),
});
export type DeliveryAttempt = Static<typeof DeliveryAttemptSchema>;

export const WebhookDeliverySchema = Type.Object({
  id: Type.String(),
  endpointId: IntegrationIdSchema,
  /** The `webhook-id` header: the event's id, the same on every attempt and replay. */
  eventId: Type.String(),
  eventType: WebhookEventTypeSchema,
  conversationId: ConversationIdSchema,
  /** The message, for a message event. */
  messageId: Type.Optional(MessageIdSchema),
  /** The member, for a member event. */
  userId: Type.Optional(MessagingUserIdSchema),
  status: DeliveryStatusSchema,
  attemptCount: Type.Integer({ minimum: 0 }),
  createdAt: Time,
  nextAttemptAt: Type.Optional(Time),
  deliveredAt: Type.Optional(Time),
  /** The latest attempts, newest last (at most 20 kept). */
  attempts: Type.Array(DeliveryAttemptSchema),
});
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;

export const WebhookDeliveryListSchema = Type.Object({
  deliveries: Type.Array(WebhookDeliverySchema),
  nextCursor: Type.Optional(Type.String()),
});
export type WebhookDeliveryList = Static<typeof WebhookDeliveryListSchema>;

export const WebhookDeliveryQuerySchema = Type.Object(
  {
    status: Type.Optional(DeliveryStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    /** From a previous page's nextCursor. */
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type WebhookDeliveryQuery = Static<typeof WebhookDeliveryQuerySchema>;

export const MessageWebhookDataSchema = Type.Object({
  conversationId: ConversationIdSchema,
  messageId: MessageIdSchema,
  senderId: MessagingUserIdSchema,
  /** The message's text (absent for a delete). */
  text: Type.Optional(Type.String()),
  createdAt: Time,
  parentId: Type.Optional(MessageIdSchema),
});
export type MessageWebhookData = Static<typeof MessageWebhookDataSchema>;

export const MemberWebhookDataSchema = Type.Object({
  conversationId: ConversationIdSchema,
  /** Who joined, was added, left or was removed. */
  userId: MessagingUserIdSchema,
  /** Who did it (the member themself for joined and left). */
  actorId: MessagingUserIdSchema,
  change: Type.Union([
    Type.Literal('joined'),
    Type.Literal('added'),
    Type.Literal('left'),
    Type.Literal('removed'),
    Type.Literal('role-changed'),
  ]),
  /** The role given (member.joined) or the new one (member.role-changed). */
  role: Type.Optional(Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')])),
  at: Time,
});
export type MemberWebhookData = Static<typeof MemberWebhookDataSchema>;

/** The body each endpoint receives (Standard Webhooks' `{type, timestamp, data}` shape). */
export const WebhookPayloadSchema = Type.Union([
  Type.Object({
    type: Type.Union([
      Type.Literal('message.created'),
      Type.Literal('message.edited'),
      Type.Literal('message.deleted'),
    ]),
    timestamp: Time,
    data: MessageWebhookDataSchema,
  }),
  Type.Object({
    type: Type.Union([
      Type.Literal('member.joined'),
      Type.Literal('member.removed'),
      Type.Literal('member.role-changed'),
    ]),
    timestamp: Time,
    data: MemberWebhookDataSchema,
  }),
]);
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;
