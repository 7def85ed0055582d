/** Conversations: open a direct one, create a group or channel, the sidebar, the channel directory, read, update. */
import {
  ChannelListSchema,
  ConversationListSchema,
  ConversationParamsSchema,
  ConversationSchema,
  CreateConversationBodySchema,
  ListChannelsQuerySchema,
  ListConversationsQuerySchema,
  OpenDirectConversationBodySchema,
  TenantParamsSchema,
  UpdateConversationBodySchema,
} from '@parley/contracts';
import { ActingUserHeaders, callerOf, errors, messagingRoutes } from './route-context.ts';

export const conversationRoutes = messagingRoutes((app, { conversations, readPointers }) => {
  app.post(
    '/conversations/direct',
    {
      schema: {
        headers: ActingUserHeaders,
        params: TenantParamsSchema,
        body: OpenDirectConversationBodySchema,
        response: { 200: ConversationSchema, 201: ConversationSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { conversation, created } = await conversations.openDirect(
        callerOf(request),
        request.body.userId,
      );
      return reply.code(created ? 201 : 200).send(conversation);
    },
  );

  app.post(
    '/conversations',
    {
      schema: {
        headers: ActingUserHeaders,
        params: TenantParamsSchema,
        body: CreateConversationBodySchema,
        response: { 201: ConversationSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await conversations.create(callerOf(request), request.body)),
  );

  app.get(
    '/conversations',
    {
      schema: {
        headers: ActingUserHeaders,
        params: TenantParamsSchema,
        querystring: ListConversationsQuerySchema,
        response: { 200: ConversationListSchema, ...errors },
      },
    },
    async (request) =>
      readPointers.sidebar(callerOf(request), {
        limit: request.query.limit ?? 50,
        archived: request.query.archived ?? false,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      }),
  );

  app.get(
    '/channels',
    {
      schema: {
        headers: ActingUserHeaders,
        params: TenantParamsSchema,
        querystring: ListChannelsQuerySchema,
        response: { 200: ChannelListSchema, ...errors },
      },
    },
    async (request) =>
      conversations.listChannels(callerOf(request), request.query.limit ?? 50, request.query.cursor),
  );

  app.get(
    '/conversations/:conversationId',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        response: { 200: ConversationSchema, ...errors },
      },
    },
    async (request) => conversations.get(callerOf(request), request.params.conversationId),
  );

  app.patch(
    '/conversations/:conversationId',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        body: UpdateConversationBodySchema,
        response: { 200: ConversationSchema, ...errors },
      },
    },
    async (request) => conversations.update(callerOf(request), request.params.conversationId, request.body),
  );
});
