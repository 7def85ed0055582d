/**
 * GET /api/v1/search: message search for the signed-in user, through @parley/search-client. The
 * tenant, user and roles go to the search service from the verified token only; the search
 * service asks messaging for the user's conversations itself, so the gateway only checks the
 * tenant role that may chat (member or admin), as for messaging's routes. A malformed query is
 * the search service's 400, handed on; an outage is a 503.
 */
import { SearchPageSchema, type SearchQuerystring, SearchQuerystringSchema } from '@parley/contracts';
import type { ServiceApp } from '@parley/kit';
import type { SearchClient } from '@parley/search-client';

import type { FastifyRequest, FastifySchema } from 'fastify';
import { API_PREFIX, guardsFor, type ProxyContext, type Role } from './proxy-route.ts';
import { asUpstreamProblem } from './upstream-problem.ts';

const SEARCHERS: readonly Role[] = ['member', 'admin'];

export function registerSearchRoutes(app: ServiceApp, context: ProxyContext, search: SearchClient): void {
  app.route({
    method: 'GET',
    url: `${API_PREFIX}/search`,
    onRequest: guardsFor(SEARCHERS, context),
    schema: {
      operationId: 'searchMessages',
      tags: ['search'],
      summary:
        "Full-text search over the messages of the caller's conversations: free text plus from:, in:, before:, after:, has:attachment",
      querystring: SearchQuerystringSchema,
      response: { 200: SearchPageSchema },
    } as FastifySchema,
    handler: async (request: FastifyRequest) => {
      const claims = request.auth;
      if (!claims) throw new Error('search route without its token guard');
      try {
        return await search.search(
          { tenant: claims.tid, userId: claims.sub, roles: claims.roles },
          request.query as SearchQuerystring,
          { requestId: request.id },
        );
      } catch (error) {
        throw asUpstreamProblem(error, request, 'search');
      }
    },
  });
}
