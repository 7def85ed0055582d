/** Read pointers and unread counts. */
import {
  ConversationParamsSchema,
  MarkReadBodySchema,
  ReadPointerSchema,
  TenantParamsSchema,
  UnreadListSchema,
} from '@parley/contracts';
import { ActingUserHeaders, callerOf, errors, messagingRoutes } from './route-context.ts';

export const readRoutes = messagingRoutes((app, { readPointers }) => {
  app.put(
    '/conversations/:conversationId/read',
    {
      schema: {
        headers: ActingUserHeaders,
        params: ConversationParamsSchema,
        body: MarkReadBodySchema,
        response: { 200: ReadPointerSchema, ...errors },
      },
    },
    async (request) =>
      readPointers.markRead(callerOf(request), request.params.conversationId, request.body.seq),
  );

  app.get(
    '/unread',
    {
      schema: {
        headers: ActingUserHeaders,
        params: TenantParamsSchema,
        response: { 200: UnreadListSchema, ...errors },
      },
    },
    async (request) => readPointers.unread(callerOf(request)),
  );
});
