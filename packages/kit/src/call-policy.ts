/**
 * Deprecated: calls between services go through @parley/service-http (ServiceHttp), which wraps
 * this same policy with what is safe to retry, the credential, request ids and typed problems.
 * Kept only until the gateway's upstream and messaging-client move onto it.
 *
 * The resilience every client of another service wraps its calls in (cockatiel): a timeout per
 * attempt, retries with jittered exponential backoff for the failures `isTransient` accepts, and
 * a circuit breaker outside the retries, so an outage is noticed once rather than hammered.
 */
import {
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';

export interface CallPolicyOptions {
  /** Which failures are worth another attempt (never a 4xx, which would fail again). */
  isTransient: (error: unknown) => boolean;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts in total, including the first. */
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs?: number;
  /** Consecutive failures that open the breaker, and how long it stays open. */
  breakerThreshold: number;
  breakerHalfOpenAfterMs: number;
}

export function createCallPolicy(options: CallPolicyOptions): {
  policy: IPolicy;
  breaker: CircuitBreakerPolicy;
} {
  const breaker = circuitBreaker(handleWhen(options.isTransient), {
    halfOpenAfter: options.breakerHalfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
  });
  const retries = retry(handleWhen(options.isTransient), {
    maxAttempts: Math.max(0, options.attempts - 1),
    // cockatiel's exponential backoff is jittered (decorrelated) by default.
    backoff: new ExponentialBackoff({
      initialDelay: options.initialBackoffMs,
      maxDelay: options.maxBackoffMs ?? 2_000,
    }),
  });
  // Outermost first: the breaker sees the outcome after retries; each attempt has its own timeout.
  const policy = wrap(breaker, retries, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
  return { policy, breaker };
}
