/**
 * One HTTP call to the messaging service under kit's call policy (cockatiel): a timeout per
 * attempt, a circuit breaker, and retries only where a repeat is safe (`idempotent` calls: reads,
 * PUT/DELETE, and sends, which the service deduplicates on the client message id). A problem the
 * service answered is kept whole (`problem`), so the gateway can hand it on to its client.
 *
 * Written on fetch like the other clients until the house's shared transport lands; swapping it
 * changes this file only.
 */
import { ACTING_ROLES_HEADER, ACTING_USER_HEADER } from '@parley/contracts';
import { createCallPolicy, SERVICE_TOKEN_HEADER } from '@parley/kit';
import { BrokenCircuitError, type CircuitBreakerPolicy, type IPolicy, TaskCancelledError } from 'cockatiel';

export class MessagingServiceError extends Error {
  /** The HTTP status the service answered (0: not reached, 503 for an open breaker or a timeout). */
  readonly status: number;
  readonly transient: boolean;
  /** The RFC 9457 problem the service answered, when it did. */
  readonly problem: Record<string, unknown> | undefined;
  constructor(
    message: string,
    options: { status: number; transient: boolean; problem?: Record<string, unknown> | undefined },
  ) {
    super(message);
    this.name = 'MessagingServiceError';
    this.status = options.status;
    this.transient = options.transient;
    this.problem = options.problem;
  }
}

export interface MessagingHttpOptions {
  baseUrl: string;
  serviceToken: string;
  /** Per attempt; default 5 s. */
  timeoutMs?: number;
  /** Attempts in total for idempotent calls; default 3. */
  attempts?: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  /** Sent as x-request-id, so one id follows a request across services. */
  requestId?: () => string | undefined;
}

/** On whose behalf a call is made: the gateway's verified user. */
export interface ActingUser {
  tenant: string;
  userId: string;
  roles: readonly string[];
}

export interface MessagingRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  as: ActingUser;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  /** True when repeating the call cannot do twice what it did once. */
  idempotent: boolean;
}

export interface MessagingResponse<T> {
  status: number;
  body: T;
}

const isTransient = (error: unknown) =>
  error instanceof TaskCancelledError || (error instanceof MessagingServiceError && error.transient);

export class MessagingHttp {
  readonly #options: MessagingHttpOptions;
  readonly #baseUrl: string;
  readonly #retrying: IPolicy;
  readonly #once: IPolicy;
  readonly breaker: CircuitBreakerPolicy;

  constructor(options: MessagingHttpOptions) {
    this.#options = options;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    const shared = {
      isTransient,
      timeoutMs: options.timeoutMs ?? 5_000,
      initialBackoffMs: 50,
      breakerThreshold: options.breakerThreshold ?? 5,
      breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 5_000,
    };
    const retrying = createCallPolicy({ ...shared, attempts: options.attempts ?? 3 });
    this.#retrying = retrying.policy;
    this.breaker = retrying.breaker;
    this.#once = createCallPolicy({ ...shared, attempts: 1 }).policy;
  }

  async request<T>(request: MessagingRequest): Promise<MessagingResponse<T>> {
    const policy = request.idempotent ? this.#retrying : this.#once;
    try {
      return await policy.execute(({ signal }) => this.#attempt<T>(request, signal));
    } catch (error) {
      if (error instanceof BrokenCircuitError)
        throw new MessagingServiceError('the messaging service is failing; the circuit breaker is open', {
          status: 503,
          transient: true,
        });
      if (error instanceof TaskCancelledError)
        throw new MessagingServiceError('the messaging service did not answer in time', {
          status: 503,
          transient: true,
        });
      throw error;
    }
  }

  async #attempt<T>(request: MessagingRequest, signal: AbortSignal): Promise<MessagingResponse<T>> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      [SERVICE_TOKEN_HEADER]: this.#options.serviceToken,
      [ACTING_USER_HEADER]: request.as.userId,
      [ACTING_ROLES_HEADER]: request.as.roles.join(','),
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const requestId = this.#options.requestId?.();
    if (requestId) headers['x-request-id'] = requestId;
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) search.set(name, String(value));
    const query = search.size > 0 ? `?${search}` : '';
    const url = `${this.#baseUrl}/v1/tenants/${encodeURIComponent(request.as.tenant)}${request.path}${query}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method,
        headers,
        signal,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      });
    } catch (error) {
      if (signal.aborted) throw new TaskCancelledError();
      throw new MessagingServiceError(`cannot reach the messaging service: ${(error as Error).message}`, {
        status: 0,
        transient: true,
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return { status: response.status, body: parsed as T };
    const problem =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    const detail = typeof problem?.detail === 'string' ? problem.detail : response.statusText;
    throw new MessagingServiceError(`messaging service answered ${response.status}: ${detail}`, {
      status: response.status,
      transient: response.status >= 500 || response.status === 429,
      problem,
    });
  }
}
