/**
 * The tenant's own Elasticsearch user, where the server has security (X-Pack security; the basic
 * license includes it): role `parley-tenant-<id>` may read only the tenant's index, user
 * `tenant-<id>` holds only that role. Both are re-applied on every reconcile, so a widened role or
 * a changed password is put back. Without security (the local Elasticsearch 7.10, the OSS cluster
 * runner, has no security module at all) isolation is by index name only: nothing tenant-scoped
 * can be handed out, so the Secret carries no Elasticsearch address and searches go through the
 * search service. That is detected from the server's own answer, never assumed.
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';

export function searchUsername(tenant: string): string {
  return `tenant-${tenant}`;
}

export function searchRoleName(tenant: string): string {
  return `parley-tenant-${tenant}`;
}

/** What the tenant's search user may do: read its own index (the search service is the only writer). */
export function searchRole(index: string) {
  return {
    cluster: [] as string[],
    indices: [{ names: [index], privileges: ['read', 'view_index_metadata'] }],
  };
}

export type SearchSecurity = { supported: true } | { supported: false; answer: string };

interface EsError {
  meta?: { statusCode?: number; body?: unknown };
  message?: string;
}

/**
 * Asks the server who the operator is (GET /_security/_authenticate). Two kinds of answer mean "no
 * security here", and both are quoted back: the endpoint does not exist (400, 404 or 405 that is
 * not a security_exception: no security module; the local 7.10 answers 405 "Incorrect HTTP method
 * for uri [/_security/_authenticate]" because only its document routes match the path), and a
 * security_exception saying security is not enabled. Anything else (401, network) is an error.
 */
export async function probeSearchSecurity(es: ElasticsearchClient): Promise<SearchSecurity> {
  try {
    await es.security.authenticate();
    return { supported: true };
  } catch (error) {
    const answer = noSecurityAnswer(error);
    if (answer !== undefined) return { supported: false, answer };
    throw error;
  }
}

/**
 * The server's answer quoted, when an error of a security API call means "no security here" (see
 * probeSearchSecurity); undefined for any other error. The drift sweep's user and role listings
 * read their errors with it too.
 */
export function noSecurityAnswer(error: unknown): string | undefined {
  const { meta, message } = error as EsError;
  const body = meta?.body;
  const answer = (typeof body === 'string' ? body : JSON.stringify(body ?? message ?? '')).slice(0, 300);
  const status = meta?.statusCode;
  const noModule = (status === 400 || status === 404 || status === 405) && !/security_exception/.test(answer);
  const disabled = /security_exception/.test(answer) && /not enabled|explicitly enabled/i.test(answer);
  return noModule || disabled ? `HTTP ${status}: ${answer}` : undefined;
}

/** Creates or resets the role and the user (idempotent: the same body every time). */
export async function ensureSearchUser(
  es: ElasticsearchClient,
  tenant: string,
  index: string,
  password: string,
): Promise<void> {
  await es.security.putRole({ name: searchRoleName(tenant), body: searchRole(index) });
  await es.security.putUser({
    username: searchUsername(tenant),
    body: { password, roles: [searchRoleName(tenant)], enabled: true },
  });
}

/** Removes the user and role (access goes under every deletion policy); absent ones are fine. */
export async function removeSearchUser(es: ElasticsearchClient, tenant: string): Promise<void> {
  if (!(await probeSearchSecurity(es)).supported) return;
  await es.security.deleteUser({ username: searchUsername(tenant) }, { ignore: [404] });
  await es.security.deleteRole({ name: searchRoleName(tenant) }, { ignore: [404] });
}
