/**
 * Display names for the ids a members list carries, from auth (its internal names lookup, behind
 * the gateway's service credential; the tenant is the caller's, from the verified token). Names
 * are an addition to an answer that stands without them: when auth cannot answer, the list goes
 * out with ids only (the client shows an id then), and the failure is logged, not returned.
 */
import type { PeopleNames } from '@parley/contracts';
import type { ServiceHttp } from '@parley/service-http';

export interface NameLookup {
  /** userId -> display name, for the ids auth knows in the tenant. */
  names(tenant: string, userIds: readonly string[]): Promise<Map<string, string>>;
}

export class AuthPeopleNames implements NameLookup {
  readonly #auth: ServiceHttp;

  constructor(auth: ServiceHttp) {
    this.#auth = auth;
  }

  async names(tenant: string, userIds: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Map();
    const answer = await this.#auth.request<PeopleNames>(
      'POST',
      `/v1/internal/tenants/${encodeURIComponent(tenant)}/people/names`,
      { userIds: unique },
      // A read: repeating it is harmless.
      { idempotent: true },
    );
    return new Map(answer.people.map((p) => [p.userId, p.displayName]));
  }
}
