/**
 * Fetches a JWKS over HTTP with a timeout, a few retries with backoff and a circuit breaker
 * (cockatiel), so a struggling auth service is not hammered by every client at once.
 */
import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
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
  const policy = wrap(
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    retry(handleAll, {
      maxAttempts: attempts - 1,
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }),
    }),
    timeout(timeoutMs, TimeoutStrategy.Aggressive),
  );
  return () =>
    policy.execute(async ({ signal }) => {
      const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`JWKS fetch from ${url} answered ${response.status}`);
      const body = (await response.json()) as JSONWebKeySet;
      if (!Array.isArray(body?.keys)) throw new Error(`JWKS from ${url} has no keys array`);
      return body;
    });
}
