/**
 * Connecting to a dependency that may not be up yet: exponential backoff with jitter (cockatiel),
 * bounded in attempts, logging each failure without its credentials.
 */
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import type { Logger } from './logger.ts';

export interface ConnectRetryOptions {
  attempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export async function connectWithRetry<T>(
  what: string,
  connect: () => Promise<T>,
  logger: Logger,
  { attempts = 10, initialDelayMs = 200, maxDelayMs = 5_000 }: ConnectRetryOptions = {},
): Promise<T> {
  const policy = retry(handleAll, {
    maxAttempts: attempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs }),
  });
  policy.onRetry((event) => {
    const reason = 'error' in event ? (event.error as Error).message : 'unexpected result';
    logger.warn({ dependency: what, delayMs: Math.round(event.delay), reason }, 'connect failed, retrying');
  });
  return policy.execute(() => connect());
}
