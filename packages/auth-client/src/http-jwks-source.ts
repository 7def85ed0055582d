/**
 * Fetches one tenant's JWKS over HTTP with a timeout, a few retries with backoff and a circuit
 * breaker (cockatiel), so a struggling auth service is not hammered by every client at once.
 * The URL is a template with `{tenant}` (the auth service serves
 * `/tenants/{tenant}/.well-known/jwks.json`; there is no key set of every tenant to fetch).
 */
import { createCallPolicy } from '@parley/kit';
import type { JSONWebKeySet } from 'jose';
import type { JwksSource } from './jwks-cache.ts';

export interface HttpJwksSourceOptions {
  timeoutMs?: number;
  attempts?: number;
}

/** The placeholder a JWKS URL template names the tenant with. */
export const JWKS_TENANT_PLACEHOLDER = '{tenant}';

export function httpJwksSource(
  urlTemplate: string,
  { timeoutMs = 2_000, attempts = 3 }: HttpJwksSourceOptions = {},
): JwksSource {
  if (!urlTemplate.includes(JWKS_TENANT_PLACEHOLDER)) {
    throw new Error(
      `JWKS URL ${urlTemplate} has no ${JWKS_TENANT_PLACEHOLDER}: use the per-tenant key set, e.g. http://auth:3007/tenants/{tenant}/.well-known/jwks.json`,
    );
  }
  const { policy } = createCallPolicy({
    isTransient: () => true,
    timeoutMs,
    attempts,
    initialBackoffMs: 100,
    maxBackoffMs: 1_000,
    breakerThreshold: 5,
    breakerHalfOpenAfterMs: 10_000,
  });
  return (tenant) =>
    policy.execute(async ({ signal }) => {
      const url = urlTemplate.replaceAll(JWKS_TENANT_PLACEHOLDER, encodeURIComponent(tenant));
      const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`JWKS fetch from ${url} answered ${response.status}`);
      const body = (await response.json()) as JSONWebKeySet;
      if (!Array.isArray(body?.keys)) throw new Error(`JWKS from ${url} has no keys array`);
      return body;
    });
}
