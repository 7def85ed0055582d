/**
 * One delivery attempt: the body signed by the Standard Webhooks scheme (`webhook-id` the event
 * id, `webhook-timestamp` in seconds, `webhook-signature` `v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>` under the endpoint's `whsec_` secret), POSTed through @parley/egress-guard's
 * fetch (every connection's addresses checked: private, loopback and link-local refused unless
 * WEBHOOK_ALLOWED_NETWORKS names them), within WEBHOOK_TIMEOUT_MS, behind one circuit breaker per
 * endpoint.
 *
 * Libraries: `standardwebhooks` (the scheme's reference implementation, by its authors; the
 * receiver's side verifies with the same package) signs; cockatiel (already the house's policy
 * library, in every service client) is the breaker: WEBHOOK_BREAKER_FAILURES consecutive failures
 * open it for WEBHOOK_BREAKER_OPEN_MS, then one attempt half-opens it. While it is open nothing is
 * sent to the endpoint and no attempt is counted, so a receiver that is down for a while does not
 * use up its deliveries' attempts; they wait and flow again when it answers.
 */
import { EgressRefusedError, type GuardedFetch } from '@parley/egress-guard';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { Webhook } from 'standardwebhooks';
import type { DeliveryTarget } from './webhook-endpoints.ts';

/** The receiver's body is read (to keep the connection reusable) up to this much, then dropped. */
const RESPONSE_READ_LIMIT = 64 * 1024;

export type AttemptResult =
  | { kind: 'delivered'; statusCode: number; durationMs: number }
  | { kind: 'failed'; statusCode?: number; error: string; durationMs: number; permanent: boolean }
  | { kind: 'circuit-open' };

export interface WebhookSenderOptions {
  fetch: GuardedFetch;
  timeoutMs: number;
  breakerFailures: number;
  breakerOpenMs: number;
  /** Told each time an endpoint's breaker opens (metrics). */
  onBreak?: (tenant: string, endpointId: string) => void;
  /** Told each time an endpoint's breaker closes again (a probe succeeded): its backlog may go. */
  onReset?: (tenant: string, endpointId: string) => void;
}

class ReceiverStatusError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number) {
    super(`the receiver answered ${statusCode}`);
    this.statusCode = statusCode;
  }
}

/** The refusal inside undici's `fetch failed` (the connector's error is its cause). */
function egressRefusal(error: unknown): EgressRefusedError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof EgressRefusedError) return e;
  return undefined;
}

function describe(error: unknown): string {
  const refused = egressRefusal(error);
  if (refused) return `refused: ${refused.message}`;
  if (error instanceof ReceiverStatusError) return error.message;
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'failed'} (${cause})` : (err.message ?? String(error));
}

/**
 * What an endpoint's breaker allows now: every due delivery (`closed`), none (`open`: the
 * receiver failed and its open time is not over), or a single probe (`probe`: the open time is
 * over, or a probe is already under way, so one attempt may half-open it).
 */
export type BreakerAllowance = 'closed' | 'open' | 'probe';

export class WebhookSender {
  readonly #options: WebhookSenderOptions;
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  /** When each open breaker may half-open (its key as in #breakers). */
  readonly #openUntil = new Map<string, number>();

  constructor(options: WebhookSenderOptions) {
    this.#options = options;
  }

  /** The endpoint's breaker (one per tenant and endpoint, made on first use). */
  breakerOf(tenant: string, endpointId: string): CircuitBreakerPolicy {
    const key = `${tenant}\u0000${endpointId}`;
    let breaker = this.#breakers.get(key);
    if (!breaker) {
      breaker = circuitBreaker(
        // An address the policy refuses is the endpoint's fault for good, not a sign it is down.
        handleWhen((error) => !egressRefusal(error)),
        {
          halfOpenAfter: this.#options.breakerOpenMs,
          breaker: new ConsecutiveBreaker(this.#options.breakerFailures),
        },
      );
      breaker.onBreak(() => {
        this.#openUntil.set(key, Date.now() + this.#options.breakerOpenMs);
        this.#options.onBreak?.(tenant, endpointId);
      });
      breaker.onReset(() => {
        this.#openUntil.delete(key);
        this.#options.onReset?.(tenant, endpointId);
      });
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  /** What the endpoint's breaker allows now (the deliverer asks before it takes any delivery). */
  allowance(tenant: string, endpointId: string, now = Date.now()): BreakerAllowance {
    const key = `${tenant}\u0000${endpointId}`;
    const state = this.#breakers.get(key)?.state ?? CircuitState.Closed;
    if (state === CircuitState.Closed) return 'closed';
    if (state === CircuitState.Open && now < (this.#openUntil.get(key) ?? 0)) return 'open';
    return 'probe';
  }

  forget(tenant: string, endpointId: string): void {
    this.#breakers.delete(`${tenant}\u0000${endpointId}`);
    this.#openUntil.delete(`${tenant}\u0000${endpointId}`);
  }

  /** Signs and POSTs `body` to the endpoint as message `webhookId`. */
  async send(
    tenant: string,
    target: DeliveryTarget,
    webhookId: string,
    body: string,
  ): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const statusCode = await this.breakerOf(tenant, target.id).execute(async () => {
        const now = new Date();
        const signature = new Webhook(target.secret).sign(webhookId, now, body);
        const response = await this.#options.fetch(target.url, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Parley-Webhooks/1',
            'webhook-id': webhookId,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
          signal: AbortSignal.timeout(this.#options.timeoutMs),
        });
        await drain(response.body);
        // Standard Webhooks: any 2xx is a success; anything else (3xx included) is retried.
        if (response.status < 200 || response.status > 299) throw new ReceiverStatusError(response.status);
        return response.status;
      });
      return { kind: 'delivered', statusCode, durationMs: elapsed() };
    } catch (error) {
      if (error instanceof BrokenCircuitError) return { kind: 'circuit-open' };
      return {
        kind: 'failed',
        ...(error instanceof ReceiverStatusError ? { statusCode: error.statusCode } : {}),
        error: describe(error),
        durationMs: elapsed(),
        permanent: egressRefusal(error) !== undefined,
      };
    }
  }
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  let read = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return;
    read += chunk.value.byteLength;
    if (read > RESPONSE_READ_LIMIT) {
      await reader.cancel();
      return;
    }
  }
}

/**
 * The delay before retry number `attempt` (1 for the first retry): exponential from `initialMs`,
 * capped at `maxMs`, with "full jitter" (a uniform draw below it) so the retries of many
 * deliveries to one endpoint that came back do not arrive in step. Computed here rather than by
 * cockatiel's backoff: the schedule is durable (a delivery's next attempt is a date in Mongo that
 * any replica may pick up), where cockatiel's retry policy waits in the memory of one call.
 */
export function retryDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.max(initialMs / 2, Math.round(ceiling * random()));
}
