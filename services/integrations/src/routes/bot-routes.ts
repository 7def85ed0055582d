/**
 * What a bot does with its token, through the gateway (which only read the tenant out of the
 * token and hands the token on in BOT_TOKEN_HEADER): integrations resolves the token in that
 * tenant's database, checks its scope, and calls messaging as the bot's user id with the member
 * role. Messaging's membership is the rest of the rule: a bot reaches only the conversations an
 * admin added it to (anything else is messaging's 404).
 */
import {
  BOT_TOKEN_HEADER,
  type BotCaller,
  BotCallerSchema,
  BotSendMessageBodySchema,
  ConversationListSchema,
  ConversationParamsSchema,
  HistoryQuerySchema,
  ListConversationsQuerySchema,
  MessagePageSchema,
  MessageSchema,
  TenantParamsSchema,
} from '@parley/contracts';
import { ProblemSchema, routePlugin, Type } from '@parley/kit';
import type { MessagingClient } from '@parley/messaging-client';
import type { FastifyRequest } from 'fastify';
import { type Bots, requireScope } from '../domain/bots.ts';
import { throughMessaging } from '../domain/messaging-problems.ts';

const BotHeaders = Type.Object({ [BOT_TOKEN_HEADER]: Type.String({ minLength: 1, maxLength: 200 }) });
const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  503: ProblemSchema,
};

declare module 'fastify' {
  interface FastifyRequest {
    bot?: BotCaller;
  }
}

export const botRoutes = routePlugin<{ bots: Bots; messaging: MessagingClient }>(
  (app, { bots, messaging }) => {
    app.addHook('preHandler', async (request) => {
      const tenant = (request.params as { tenant: string }).tenant;
      request.bot = await bots.resolve(tenant, String(request.headers[BOT_TOKEN_HEADER]));
    });
    const botOf = (request: FastifyRequest): BotCaller => {
      if (!request.bot) throw new Error('bot route without its token hook');
      return request.bot;
    };
    const as = (bot: BotCaller) =>
      messaging.as({ tenant: bot.tenant, userId: bot.userId, roles: ['member'] });

    app.get(
      '/bot/me',
      {
        schema: {
          summary: 'Who this token is: the bot, its user id and the scopes of the token',
          params: TenantParamsSchema,
          headers: BotHeaders,
          response: { 200: BotCallerSchema, ...errors },
        },
      },
      async (request) => botOf(request),
    );
    app.get(
      '/bot/conversations',
      {
        schema: {
          summary: 'The conversations the bot was added to (scope conversations:read)',
          params: TenantParamsSchema,
          headers: BotHeaders,
          querystring: ListConversationsQuerySchema,
          response: { 200: ConversationListSchema, ...errors },
        },
      },
      async (request) => {
        const bot = botOf(request);
        requireScope(bot, 'conversations:read');
        return throughMessaging(() => as(bot).listConversations(request.query));
      },
    );
    app.post(
      '/bot/conversations/:conversationId/messages',
      {
        schema: {
          summary:
            'Post a message as the bot (scope messages:write); a retry with the same clientMessageId is the same message',
          params: ConversationParamsSchema,
          headers: BotHeaders,
          body: BotSendMessageBodySchema,
          response: {
            200: MessageSchema,
            201: MessageSchema,
            ...errors,
            409: ProblemSchema,
            429: ProblemSchema,
          },
        },
      },
      async (request, reply) => {
        const bot = botOf(request);
        requireScope(bot, 'messages:write');
        const sent = await throughMessaging(() => as(bot).send(request.params.conversationId, request.body));
        reply.status(sent.created ? 201 : 200);
        return sent.message;
      },
    );
    app.get(
      '/bot/conversations/:conversationId/messages',
      {
        schema: {
          summary: 'Read a conversation the bot is in (scope messages:read)',
          params: ConversationParamsSchema,
          headers: BotHeaders,
          querystring: HistoryQuerySchema,
          response: { 200: MessagePageSchema, ...errors },
        },
      },
      async (request) => {
        const bot = botOf(request);
        requireScope(bot, 'messages:read');
        return throughMessaging(() => as(bot).history(request.params.conversationId, request.query));
      },
    );
  },
);
