/**
 * Fetches a JWKS over HTTP with a timeout, a few retries with backoff and a circuit breaker
 * (cockatiel), so a struggling auth service is not hammered by every client at once.
 */
import { createCallPolicy } from '@parley/kit';
import type { JSONWebKeySet } from 'jose';
import type { JwksSource } from './jwks-cache.ts';

export interface HttpJwksSourceOptions {
  timeoutMs?: number;
  attempts?: number;
}

export function httpJwksSource(
  url: string,
  { timeoutMs = 2_000, attempts = 3 }: HttpJwksSourceOptions = {},
): JwksSource {
  const { policy } = createCallPolicy({
    isTransient: () => true,
    timeoutMs,
    attempts,
    initialBackoffMs: 100,
    maxBackoffMs: 1_000,
    breakerThreshold: 5,
    breakerHalfOpenAfterMs: 10_000,
  });
  return () =>
    policy.execute(async ({ signal }) => {
      const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`JWKS fetch from ${url} answered ${response.status}`);
      const body = (await response.json()) as JSONWebKeySet;
      if (!Array.isArray(body?.keys)) throw new Error(`JWKS from ${url} has no keys array`);
      return body;
    });
}
