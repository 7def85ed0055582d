/** Messages: send, history, one message, edit, delete, reactions, changes since a seq. */
import {
  ChangeListSchema,
  ChangesQuerySchema,
  ConversationParamsSchema,
  EditMessageBodySchema,
  HistoryQuerySchema,
  MessagePageSchema,
  MessageParamsSchema,
  MessageSchema,
  ReactionParamsSchema,
  SendMessageBodySchema,
} from '@parley/contracts';
import { ActingUserHeaders, callerOf, errors, messagingRoutes } from './route-context.ts';

export const messageRoutes = messagingRoutes((app, { messages, history }) => {
  app.post(
    '/conversations/:conversationId/messages',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        body: SendMessageBodySchema,
        response: { 200: MessageSchema, 201: MessageSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { message, created } = await messages.send(
        callerOf(request),
        request.params.conversationId,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(message);
    },
  );

  app.get(
    '/conversations/:conversationId/messages',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        querystring: HistoryQuerySchema,
        response: { 200: MessagePageSchema, ...errors },
      },
    },
    async (request) => history.page(callerOf(request), request.params.conversationId, request.query),
  );

  app.get(
    '/conversations/:conversationId/messages/:messageId',
    {
      schema: {
        headers: ActingUserHeaders,
        params: MessageParamsSchema,
        response: { 200: MessageSchema, ...errors },
      },
    },
    async (request) =>
      messages.get(callerOf(request), request.params.conversationId, request.params.messageId),
  );

  app.patch(
    '/conversations/:conversationId/messages/:messageId',
    {
      schema: {
        headers: ActingUserHeaders,
        params: MessageParamsSchema,
        body: EditMessageBodySchema,
        response: { 200: MessageSchema, ...errors },
      },
    },
    async (request) =>
      messages.edit(
        callerOf(request),
        request.params.conversationId,
        request.params.messageId,
        request.body.text,
      ),
  );

  app.delete(
    '/conversations/:conversationId/messages/:messageId',
    {
      schema: {
        headers: ActingUserHeaders,
        params: MessageParamsSchema,
        response: { 200: MessageSchema, ...errors },
      },
    },
    async (request) =>
      messages.delete(callerOf(request), request.params.conversationId, request.params.messageId),
  );

  for (const [method, on] of [
    ['put', true],
    ['delete', false],
  ] as const) {
    app[method](
      '/conversations/:conversationId/messages/:messageId/reactions/:emoji',
      {
        schema: {
          headers: ActingUserHeaders,
          params: ReactionParamsSchema,
          response: { 200: MessageSchema, ...errors },
        },
      },
      async (request) =>
        messages.react(
          callerOf(request),
          request.params.conversationId,
          request.params.messageId,
          request.params.emoji,
          on,
        ),
    );
  }

  app.get(
    '/conversations/:conversationId/changes',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        querystring: ChangesQuerySchema,
        response: { 200: ChangeListSchema, ...errors },
      },
    },
    async (request) =>
      history.changes(
        callerOf(request),
        request.params.conversationId,
        request.query.since,
        request.query.limit ?? 200,
      ),
  );
});
