/**
 * A tenant admin's bots, through the gateway: create and list bots, issue and revoke their
 * tokens (a token is in the answer to its creation only), and add a bot to a conversation or
 * take it out. Adding goes to messaging as the admin, so messaging's own rule decides (the admin
 * must be able to add members there): integrations never puts a bot where its admin cannot.
 */
import {
  ActingUserHeadersSchema,
  BotListSchema,
  BotSchema,
  BotTokenCreatedSchema,
  BotTokenListSchema,
  ConversationIdSchema,
  CreateBotBodySchema,
  CreateBotTokenBodySchema,
  IntegrationIdSchema,
  MemberSchema,
  TenantParamsSchema,
} from '@parley/contracts';
import { ProblemSchema, routePlugin, Type } from '@parley/kit';
import type { MessagingClient } from '@parley/messaging-client';
import { type Bots, botUserId } from '../domain/bots.ts';
import { throughMessaging } from '../domain/messaging-problems.ts';
import { adminOf } from './admin-caller.ts';

const BotParams = Type.Intersect([TenantParamsSchema, Type.Object({ botId: IntegrationIdSchema })]);
const TokenParams = Type.Intersect([BotParams, Type.Object({ tokenId: IntegrationIdSchema })]);
const BotConversationParams = Type.Intersect([
  BotParams,
  Type.Object({ conversationId: ConversationIdSchema }),
]);
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

export const botAdminRoutes = routePlugin<{ bots: Bots; messaging: MessagingClient }>(
  (app, { bots, messaging }) => {
    const headers = ActingUserHeadersSchema;
    app.post(
      '/bots',
      {
        schema: {
          summary: 'Create a bot (a user id of its own, acting with the member role)',
          params: TenantParamsSchema,
          headers,
          body: CreateBotBodySchema,
          response: { 201: BotSchema, ...errors },
        },
      },
      async (request, reply) => {
        const admin = adminOf(request);
        reply.status(201);
        return bots.create(admin.tenant, admin.userId, request.body);
      },
    );
    app.get(
      '/bots',
      {
        schema: {
          summary: "The tenant's bots",
          params: TenantParamsSchema,
          headers,
          response: { 200: BotListSchema, ...errors },
        },
      },
      async (request) => ({ bots: await bots.list(adminOf(request).tenant) }),
    );
    app.get(
      '/bots/:botId',
      { schema: { summary: 'One bot', params: BotParams, headers, response: { 200: BotSchema, ...errors } } },
      async (request) => bots.get(adminOf(request).tenant, request.params.botId),
    );
    app.delete(
      '/bots/:botId',
      {
        schema: {
          summary: 'Delete a bot and every token of it (its messages stay)',
          params: BotParams,
          headers,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await bots.delete(adminOf(request).tenant, request.params.botId);
        return reply.code(204).send(null);
      },
    );
    app.post(
      '/bots/:botId/tokens',
      {
        schema: {
          summary: 'Issue a token for the bot: a subset of its scopes, expiring; shown only in this answer',
          params: BotParams,
          headers,
          body: CreateBotTokenBodySchema,
          response: { 201: BotTokenCreatedSchema, ...errors },
        },
      },
      async (request, reply) => {
        const admin = adminOf(request);
        reply.status(201);
        return bots.createToken(admin.tenant, request.params.botId, admin.userId, request.body);
      },
    );
    app.get(
      '/bots/:botId/tokens',
      {
        schema: {
          summary: "The bot's tokens (never the tokens themselves)",
          params: BotParams,
          headers,
          response: { 200: BotTokenListSchema, ...errors },
        },
      },
      async (request) => ({ tokens: await bots.listTokens(adminOf(request).tenant, request.params.botId) }),
    );
    app.delete(
      '/bots/:botId/tokens/:tokenId',
      {
        schema: {
          summary: 'Revoke a token (it stops working at once)',
          params: TokenParams,
          headers,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const { botId, tokenId } = request.params;
        await bots.revokeToken(adminOf(request).tenant, botId, tokenId);
        return reply.code(204).send(null);
      },
    );
    app.put(
      '/bots/:botId/conversations/:conversationId',
      {
        schema: {
          summary: 'Add the bot to a conversation, as the admin (messaging decides whether the admin may)',
          params: BotConversationParams,
          headers,
          response: { 200: MemberSchema, ...errors, 409: ProblemSchema, 503: ProblemSchema },
        },
      },
      async (request) => {
        const admin = adminOf(request);
        const bot = await bots.get(admin.tenant, request.params.botId);
        return throughMessaging(() =>
          messaging
            .as(admin)
            .addMember(request.params.conversationId, { userId: bot.userId, role: 'member' }),
        );
      },
    );
    app.delete(
      '/bots/:botId/conversations/:conversationId',
      {
        schema: {
          summary: 'Take the bot out of a conversation, as the admin',
          params: BotConversationParams,
          headers,
          response: { 204: Type.Null(), ...errors, 409: ProblemSchema, 503: ProblemSchema },
        },
      },
      async (request, reply) => {
        const admin = adminOf(request);
        const { botId, conversationId } = request.params;
        await throughMessaging(() => messaging.as(admin).removeMember(conversationId, botUserId(botId)));
        return reply.code(204).send(null);
      },
    );
  },
);
