/**
 * The integrations service through the gateway:
 * - `/integrations/...`: a tenant admin's bots (and, below, webhooks). The gateway checks the
 *   admin role and names the admin in the acting-user headers; integrations checks the role
 *   again and messaging decides where the admin may add a bot.
 * - `/integrations/outgoing-webhooks/...`: a tenant admin's outgoing webhook endpoints and their
 *   delivery log (read and replay); the tenant is the admin's, so another tenant's ids are 404.
 * - `/bot/...`: a bot with its token (`Authorization: Bearer pbt_...`). The gateway reads only
 *   the tenant out of the token and hands the token on; integrations resolves it and checks its
 *   scopes, and messaging's membership keeps the bot in the conversations it was added to.
 */
import {
  BotCallerSchema,
  BotListSchema,
  BotSchema,
  BotSendMessageBodySchema,
  BotTokenCreatedSchema,
  BotTokenListSchema,
  ConversationIdSchema,
  ConversationListSchema,
  CreateBotBodySchema,
  CreateBotTokenBodySchema,
  CreateIncomingWebhookBodySchema,
  CreateWebhookEndpointBodySchema,
  HistoryQuerySchema,
  HOOK_SECRET_HEADER,
  IncomingWebhookCreatedSchema,
  IncomingWebhookListSchema,
  IncomingWebhookPostBodySchema,
  IncomingWebhookPostedSchema,
  IntegrationIdSchema,
  ListConversationsQuerySchema,
  MemberSchema,
  MessagePageSchema,
  MessageSchema,
  WebhookDeliveryListSchema,
  WebhookDeliveryQuerySchema,
  WebhookDeliverySchema,
  WebhookEndpointCreatedSchema,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
} from '@parley/contracts';
import { type ServiceApp, Type } from '@parley/kit';
import type { ServiceHttp } from '@parley/service-http';
import { TenantIdSchema } from '@parley/tenancy';
import {
  type ProxyContext,
  type ProxyRouteDefinition,
  type Role,
  registerProxyRoute,
} from './proxy-route.ts';

const ADMINS: readonly Role[] = ['admin'];
const BotParams = Type.Object({ botId: IntegrationIdSchema });
const TokenParams = Type.Object({ botId: IntegrationIdSchema, tokenId: IntegrationIdSchema });
const BotConversationParams = Type.Object({
  botId: IntegrationIdSchema,
  conversationId: ConversationIdSchema,
});
const ConversationParams = Type.Object({ conversationId: ConversationIdSchema });
const WebhookParams = Type.Object({ webhookId: IntegrationIdSchema });
const EndpointParams = Type.Object({ endpointId: IntegrationIdSchema });
const DeliveryParams = Type.Object({ endpointId: IntegrationIdSchema, deliveryId: IntegrationIdSchema });
const HookUrlParams = Type.Object({
  tenant: TenantIdSchema,
  webhookId: IntegrationIdSchema,
  secret: Type.String({ pattern: '^[a-f0-9]{64}$' }),
});
const enc = encodeURIComponent;

export function registerIntegrationsRoutes(
  app: ServiceApp,
  context: ProxyContext,
  integrations: ServiceHttp,
): void {
  const at = (tenant: string, path: string) => `/v1/tenants/${tenant}${path}`;
  const admin = { access: ADMINS, upstream: integrations, tags: ['integrations'] };
  const bot = { access: 'bot' as const, upstream: integrations, tags: ['bots'] };
  const routes: ProxyRouteDefinition[] = [
    {
      ...admin,
      method: 'POST',
      url: '/integrations/bots',
      operationId: 'createBot',
      summary: 'Create a bot: a user id of its own that acts with the member role, with the scopes named',
      schema: { body: CreateBotBodySchema, response: { 201: BotSchema } },
      target: ({ tenant, body }) => ({ path: at(tenant, '/bots'), body, acting: true }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/bots',
      operationId: 'listBots',
      summary: "The tenant's bots",
      schema: { response: { 200: BotListSchema } },
      target: ({ tenant }) => ({ path: at(tenant, '/bots'), acting: true }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/bots/:botId',
      operationId: 'getBot',
      summary: 'One bot',
      schema: { params: BotParams, response: { 200: BotSchema } },
      target: ({ tenant, params }) => ({
        path: at(tenant, `/bots/${enc(params.botId ?? '')}`),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/integrations/bots/:botId',
      operationId: 'deleteBot',
      summary: 'Delete a bot and every token of it (its messages stay)',
      schema: { params: BotParams, response: { 204: Type.Null() } },
      target: ({ tenant, params }) => ({
        path: at(tenant, `/bots/${enc(params.botId ?? '')}`),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'POST',
      url: '/integrations/bots/:botId/tokens',
      operationId: 'createBotToken',
      summary:
        'Issue a bot token (a subset of its scopes, expiring): shown only in this answer, only its hash is kept',
      schema: { params: BotParams, body: CreateBotTokenBodySchema, response: { 201: BotTokenCreatedSchema } },
      target: ({ tenant, params, body }) => ({
        path: at(tenant, `/bots/${enc(params.botId ?? '')}/tokens`),
        body,
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/bots/:botId/tokens',
      operationId: 'listBotTokens',
      summary: "A bot's tokens (their ids, scopes and expiry; never the tokens)",
      schema: { params: BotParams, response: { 200: BotTokenListSchema } },
      target: ({ tenant, params }) => ({
        path: at(tenant, `/bots/${enc(params.botId ?? '')}/tokens`),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/integrations/bots/:botId/tokens/:tokenId',
      operationId: 'revokeBotToken',
      summary: 'Revoke a bot token: it stops working at once',
      schema: { params: TokenParams, response: { 204: Type.Null() } },
      target: ({ tenant, params }) => ({
        path: at(tenant, `/bots/${enc(params.botId ?? '')}/tokens/${enc(params.tokenId ?? '')}`),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'PUT',
      url: '/integrations/bots/:botId/conversations/:conversationId',
      operationId: 'addBotToConversation',
      summary: 'Add the bot to a conversation (the admin must be able to add members there)',
      schema: { params: BotConversationParams, response: { 200: MemberSchema } },
      target: ({ tenant, params }) => ({
        path: at(
          tenant,
          `/bots/${enc(params.botId ?? '')}/conversations/${enc(params.conversationId ?? '')}`,
        ),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/integrations/bots/:botId/conversations/:conversationId',
      operationId: 'removeBotFromConversation',
      summary: 'Take the bot out of a conversation',
      schema: { params: BotConversationParams, response: { 204: Type.Null() } },
      target: ({ tenant, params }) => ({
        path: at(
          tenant,
          `/bots/${enc(params.botId ?? '')}/conversations/${enc(params.conversationId ?? '')}`,
        ),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'POST',
      url: '/integrations/incoming-webhooks',
      operationId: 'createIncomingWebhook',
      summary:
        'Create an incoming webhook posting into one conversation (the admin must be able to add members there); its secret URL is in this answer only',
      schema: { body: CreateIncomingWebhookBodySchema, response: { 201: IncomingWebhookCreatedSchema } },
      target: ({ tenant, body }) => ({ path: at(tenant, '/incoming-webhooks'), body, acting: true }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/incoming-webhooks',
      operationId: 'listIncomingWebhooks',
      summary: "The tenant's incoming webhooks (never their URLs)",
      schema: { response: { 200: IncomingWebhookListSchema } },
      target: ({ tenant }) => ({ path: at(tenant, '/incoming-webhooks'), acting: true }),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/integrations/incoming-webhooks/:webhookId',
      operationId: 'deleteIncomingWebhook',
      summary: 'Delete an incoming webhook: its URL stops at once',
      schema: { params: WebhookParams, response: { 204: Type.Null() } },
      target: ({ tenant, params }) => ({
        path: at(tenant, `/incoming-webhooks/${enc(params.webhookId ?? '')}`),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'POST',
      url: '/integrations/outgoing-webhooks',
      operationId: 'createWebhookEndpoint',
      summary:
        'Create an outgoing webhook endpoint: the events it gets (message.created, message.edited, message.deleted), optionally only some conversations; its signing secret is in this answer only',
      description:
        'Deliveries are signed by the Standard Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature) and sent at least once, with retries and a per-endpoint circuit breaker. A URL whose host is a private, loopback or link-local address is refused (422 webhook-url-refused) unless the operator allows its network.',
      schema: { body: CreateWebhookEndpointBodySchema, response: { 201: WebhookEndpointCreatedSchema } },
      target: ({ tenant, body }) => ({ path: at(tenant, '/outgoing-webhooks'), body, acting: true }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/outgoing-webhooks',
      operationId: 'listWebhookEndpoints',
      summary: "The tenant's outgoing webhook endpoints (never their secrets)",
      schema: { response: { 200: WebhookEndpointListSchema } },
      target: ({ tenant }) => ({ path: at(tenant, '/outgoing-webhooks'), acting: true }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/outgoing-webhooks/:endpointId',
      operationId: 'getWebhookEndpoint',
      summary: 'One outgoing webhook endpoint',
      schema: { params: EndpointParams, response: { 200: WebhookEndpointSchema } },
      target: ({ tenant, params }) => ({
        path: at(tenant, `/outgoing-webhooks/${enc(params.endpointId ?? '')}`),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/integrations/outgoing-webhooks/:endpointId',
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete an outgoing webhook endpoint and its delivery log: nothing more is sent to it',
      schema: { params: EndpointParams, response: { 204: Type.Null() } },
      target: ({ tenant, params }) => ({
        path: at(tenant, `/outgoing-webhooks/${enc(params.endpointId ?? '')}`),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/outgoing-webhooks/:endpointId/deliveries',
      operationId: 'listWebhookDeliveries',
      summary:
        "An endpoint's delivery log, newest first: status, attempts (status code or error), next attempt",
      schema: {
        params: EndpointParams,
        querystring: WebhookDeliveryQuerySchema,
        response: { 200: WebhookDeliveryListSchema },
      },
      target: ({ tenant, params, query }) => ({
        path: at(tenant, `/outgoing-webhooks/${enc(params.endpointId ?? '')}/deliveries`),
        query,
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'GET',
      url: '/integrations/outgoing-webhooks/:endpointId/deliveries/:deliveryId',
      operationId: 'getWebhookDelivery',
      summary: 'One delivery and its attempts',
      schema: { params: DeliveryParams, response: { 200: WebhookDeliverySchema } },
      target: ({ tenant, params }) => ({
        path: at(
          tenant,
          `/outgoing-webhooks/${enc(params.endpointId ?? '')}/deliveries/${enc(params.deliveryId ?? '')}`,
        ),
        acting: true,
      }),
    },
    {
      ...admin,
      method: 'POST',
      url: '/integrations/outgoing-webhooks/:endpointId/deliveries/:deliveryId/replay',
      operationId: 'replayWebhookDelivery',
      summary: 'Send a delivery again, due now, with a fresh round of attempts and the same webhook-id',
      schema: { params: DeliveryParams, response: { 202: WebhookDeliverySchema } },
      target: ({ tenant, params }) => ({
        path: at(
          tenant,
          `/outgoing-webhooks/${enc(params.endpointId ?? '')}/deliveries/${enc(params.deliveryId ?? '')}/replay`,
        ),
        acting: true,
      }),
    },
    {
      access: 'tenant-path',
      upstream: integrations,
      tags: ['webhooks'],
      method: 'POST',
      url: '/hooks/:tenant/:webhookId/:secret',
      operationId: 'postIncomingWebhook',
      summary:
        "An incoming webhook's secret URL: a Slack-compatible body (`text` is posted; other fields are ignored)",
      description:
        "The URL is the credential: keep it secret. The post appears from the webhook's bot in its one conversation.",
      schema: {
        params: HookUrlParams,
        body: IncomingWebhookPostBodySchema,
        response: { 200: IncomingWebhookPostedSchema },
      },
      target: ({ tenant, params, body }) => ({
        path: at(tenant, `/hooks/${enc(params.webhookId ?? '')}`),
        body,
        headers: { [HOOK_SECRET_HEADER]: params.secret ?? '' },
      }),
    },
    {
      ...bot,
      method: 'GET',
      url: '/bot/me',
      operationId: 'botWhoAmI',
      summary: "The bot a token stands for and the token's scopes",
      schema: { response: { 200: BotCallerSchema } },
      target: ({ tenant }) => ({ path: at(tenant, '/bot/me') }),
    },
    {
      ...bot,
      method: 'GET',
      url: '/bot/conversations',
      operationId: 'botListConversations',
      summary: 'The conversations the bot was added to (scope conversations:read)',
      schema: { querystring: ListConversationsQuerySchema, response: { 200: ConversationListSchema } },
      target: ({ tenant, query }) => ({ path: at(tenant, '/bot/conversations'), query }),
    },
    {
      ...bot,
      method: 'POST',
      url: '/bot/conversations/:conversationId/messages',
      operationId: 'botSendMessage',
      summary:
        'Post a message as the bot into a conversation it is in (scope messages:write); the same clientMessageId again is the same message',
      schema: {
        params: ConversationParams,
        body: BotSendMessageBodySchema,
        response: { 200: MessageSchema, 201: MessageSchema },
      },
      target: ({ tenant, params, body }) => ({
        path: at(tenant, `/bot/conversations/${enc(params.conversationId ?? '')}/messages`),
        body,
      }),
    },
    {
      ...bot,
      method: 'GET',
      url: '/bot/conversations/:conversationId/messages',
      operationId: 'botListMessages',
      summary: 'Read a conversation the bot is in (scope messages:read)',
      schema: {
        params: ConversationParams,
        querystring: HistoryQuerySchema,
        response: { 200: MessagePageSchema },
      },
      target: ({ tenant, params, query }) => ({
        path: at(tenant, `/bot/conversations/${enc(params.conversationId ?? '')}/messages`),
        query,
      }),
    },
  ];
  for (const route of routes) registerProxyRoute(app, context, route);
}
