/**
 * The typed client of the search service, on @parley/service-http (credential, request id,
 * timeouts, retries: a search is a GET, so safe to repeat, one breaker for the target):
 *
 *   const search = new SearchClient({ baseUrl: config.SEARCH_URL, serviceToken });
 *   const page = await search.search({ tenant, userId, roles }, { q: 'report from:alice', limit: 20 });
 *
 * The tenant, user and roles come from the caller's verified token, never from a request body.
 * Failures are service-http's typed errors: ServiceProblemError (the service's problem, a 400 for
 * a malformed query) and ServiceUnavailableError.
 */
import {
  ACTING_ROLES_HEADER,
  ACTING_USER_HEADER,
  type SearchPage,
  type SearchQuerystring,
} from '@parley/contracts';
import { ServiceHttp, type ServiceHttpOptions } from '@parley/service-http';

export interface SearchingUser {
  tenant: string;
  userId: string;
  roles: readonly string[];
}

export class SearchClient {
  readonly http: ServiceHttp;

  constructor(options: Omit<ServiceHttpOptions, 'service'> | ServiceHttp) {
    this.http = options instanceof ServiceHttp ? options : new ServiceHttp({ service: 'search', ...options });
  }

  search(
    user: SearchingUser,
    query: SearchQuerystring,
    options: { requestId?: string } = {},
  ): Promise<SearchPage> {
    const params = new URLSearchParams({ q: query.q });
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    return this.http.request<SearchPage>(
      'GET',
      `/v1/tenants/${encodeURIComponent(user.tenant)}/search?${params}`,
      undefined,
      {
        headers: { [ACTING_USER_HEADER]: user.userId, [ACTING_ROLES_HEADER]: user.roles.join(',') },
        ...(options.requestId ? { requestId: options.requestId } : {}),
      },
    );
  }
}
