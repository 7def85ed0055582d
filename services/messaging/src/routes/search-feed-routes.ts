/** What the search service reads: the acting user's memberships (ids), and the tenant's message log (a reindex). */
import {
  MembershipListSchema,
  MessageLogPageSchema,
  MessageLogQuerySchema,
  TenantParamsSchema,
} from '@parley/contracts';
import { ActingUserHeaders, callerOf, errors, messagingRoutes } from './route-context.ts';

export const searchFeedRoutes = messagingRoutes((app, { searchFeed }) => {
  app.get(
    '/memberships',
    {
      schema: {
        headers: ActingUserHeaders,
        params: TenantParamsSchema,
        response: { 200: MembershipListSchema, ...errors },
      },
    },
    async (request) => searchFeed.memberships(callerOf(request)),
  );

  // The tenant's, not a user's: no acting user (the path's tenant, the search service's credential).
  app.get(
    '/message-log',
    {
      schema: {
        params: TenantParamsSchema,
        querystring: MessageLogQuerySchema,
        response: { 200: MessageLogPageSchema, ...errors },
      },
    },
    async (request) =>
      searchFeed.messageLog((request.params as { tenant: string }).tenant, {
        limit: request.query.limit ?? 500,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      }),
  );
});
