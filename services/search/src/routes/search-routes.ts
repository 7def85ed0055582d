/**
 * GET /v1/tenants/:tenant/search?q&limit&cursor for the acting user (messaging's acting-user
 * headers, believed only behind the gateway's service credential). A query Parley cannot parse is
 * a 400 with the reason; messaging or Elasticsearch unreachable is a 503, never a 500.
 */
import {
  ACTING_ROLES_HEADER,
  ACTING_USER_HEADER,
  ActingUserHeadersSchema,
  SearchPageSchema,
  SearchQuerystringSchema,
  TenantParamsSchema,
} from '@parley/contracts';
import { ProblemError, ProblemSchema, problems, routePlugin } from '@parley/kit';
import { MessagingServiceError } from '@parley/messaging-client';
import type { MessageSearch } from '../domain/message-search.ts';
import { SearchQueryError } from '../domain/search-query.ts';

export const searchRoutes = routePlugin<{ search: MessageSearch }>((app, { search }) => {
  app.get(
    '/search',
    {
      schema: {
        summary: "Full-text search over the messages of the caller's conversations",
        params: TenantParamsSchema,
        headers: ActingUserHeadersSchema,
        querystring: SearchQuerystringSchema,
        response: { 200: SearchPageSchema, 400: ProblemSchema, 401: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request) => {
      const roles = (request.headers[ACTING_ROLES_HEADER] ?? '').split(',').filter(Boolean);
      const caller = { tenant: request.params.tenant, userId: request.headers[ACTING_USER_HEADER], roles };
      try {
        return await search.search(caller, request.query.q, {
          limit: request.query.limit ?? 20,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        });
      } catch (error) {
        throw searchProblem(error);
      }
    },
  );
});

function searchProblem(error: unknown): unknown {
  if (error instanceof ProblemError) return error;
  if (error instanceof SearchQueryError) return problems.badRequest(error.message);
  if (error instanceof MessagingServiceError) {
    if (error.status >= 400 && error.status < 500 && error.problem)
      return new ProblemError(
        error.status,
        'membership-refused',
        'Membership refused',
        String(error.problem.detail ?? error.message),
      );
    return problems.unavailable('Membership cannot be checked right now (messaging unavailable)');
  }
  const esStatus = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
  const esName = (error as { name?: string }).name ?? '';
  if (esStatus !== undefined || /ConnectionError|TimeoutError|NoLivingConnections/.test(esName))
    return problems.unavailable('Search is unavailable right now');
  return error;
}
