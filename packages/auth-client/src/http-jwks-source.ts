/**
 * Fetches one tenant's JWKS over the house transport (@parley/service-http): a timeout, a few
 * retries with jittered backoff (a GET, so any transient failure may be retried; a 404 is not) and
 * a circuit breaker, so a struggling auth service is not hammered by every client at once. The
 * key sets are public: no service credential is sent.
 * The URL is a template with `{tenant}` (the auth service serves
 * `/v1/tenants/{tenant}/.well-known/jwks.json`; there is no key set of every tenant to fetch).
 */
import { ServiceHttp } from '@parley/service-http';
import type { JSONWebKeySet } from 'jose';
import type { JwksSource } from './jwks-cache.ts';

export interface HttpJwksSourceOptions {
  timeoutMs?: number;
  attempts?: number;
}

/** The placeholder a JWKS URL template names the tenant with. */
export const JWKS_TENANT_PLACEHOLDER = '{tenant}';

/**
 * The JWKS URL template of an auth service at `authUrl` (its AUTH_URL setting): one place for the
 * path, so a client cannot drift from where auth serves it (the socket service asked for the
 * path without /v1 after auth moved under it, and every token would have failed there).
 */
export function authJwksUrl(authUrl: string): string {
  return `${authUrl.replace(/\/+$/, '')}/v1/tenants/${JWKS_TENANT_PLACEHOLDER}/.well-known/jwks.json`;
}

export function httpJwksSource(
  urlTemplate: string,
  { timeoutMs = 2_000, attempts = 3 }: HttpJwksSourceOptions = {},
): JwksSource {
  if (!urlTemplate.includes(JWKS_TENANT_PLACEHOLDER)) {
    throw new Error(
      `JWKS URL ${urlTemplate} has no ${JWKS_TENANT_PLACEHOLDER}: use the per-tenant key set, e.g. http://auth:3007/v1/tenants/{tenant}/.well-known/jwks.json`,
    );
  }
  const urlOf = (tenant: string) =>
    new URL(urlTemplate.replaceAll(JWKS_TENANT_PLACEHOLDER, encodeURIComponent(tenant)));
  const http = new ServiceHttp({
    service: 'auth',
    baseUrl: urlOf('tenant').origin,
    timeoutMs,
    attempts,
    initialBackoffMs: 100,
    maxBackoffMs: 1_000,
    breakerThreshold: 5,
    breakerHalfOpenAfterMs: 10_000,
  });
  return async (tenant) => {
    const url = urlOf(tenant);
    // The tenant is encoded into one path segment, so it cannot move the call to another origin.
    if (url.origin !== http.baseUrl) throw new Error(`JWKS URL for ${tenant} leaves ${http.baseUrl}`);
    const body = await http.request<JSONWebKeySet>('GET', `${url.pathname}${url.search}`);
    if (!Array.isArray(body?.keys)) throw new Error(`JWKS from ${url} has no keys array`);
    return body;
  };
}
