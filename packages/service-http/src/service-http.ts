/**
 * The one HTTP transport for calls between Parley services. One `ServiceHttp` per target
 * service, shared by everything in the process that calls it (so the target has one circuit
 * breaker here). Each call:
 *
 * - carries this process's service credential (`x-service-token`) and the request id of the
 *   work it is part of (`x-request-id`), the same on every attempt;
 * - has a timeout per attempt, and the caller's AbortSignal is honoured throughout;
 * - is retried with exponential backoff and decorrelated jitter (cockatiel) only when that is
 *   safe (retry-safety.ts): idempotent calls on a timeout, a lost connection or a transient
 *   status (408, 429, 500, 502, 503, 504); any call when the connection was refused before it was
 *   sent. A 4xx is never retried: it would fail again;
 * - goes through the target's circuit breaker (outside the retries, so an outage is counted
 *   once per call, not once per attempt): consecutive failures of the target (no answer, or a
 *   5xx) open it, and calls fail at once until it lets a trial call through;
 * - never follows a redirect (it would carry the credential somewhere else);
 * - ends in the parsed JSON body, or throws `ServiceProblemError` (the service answered with an
 *   error) or `ServiceUnavailableError` (no answer: breaker open, timed out, unreachable).
 *
 * `sendRaw` is the same call for a proxy (the gateway): the answer's status, headers and bytes as
 * they came, a 4xx or a 3xx included (they are the service's word, for the client to read); only
 * a 5xx is a failure (retried when safe, counted by the breaker, thrown), as is no answer at all.
 */
import { PROBLEM_BASE, REQUEST_ID_HEADER, SERVICE_TOKEN_HEADER } from '@parley/kit';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  IsolatedCircuitError,
  type RetryPolicy,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { connectionErrorCodes, failedBeforeSending, isIdempotentMethod } from './retry-safety.ts';
import { problemFromResponse, ServiceProblemError, ServiceUnavailableError } from './service-errors.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The part of a logger the transport uses (pino's shape). */
export interface RetryLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ServiceHttpOptions {
  /** The target's name, used in errors and logs (`crypto`, `compliance`, `auth`, ...). */
  service: string;
  /** e.g. http://crypto:3009; paths are appended to it. */
  baseUrl: string;
  /** This process's own credential (SERVICE_TOKEN); omitted for public endpoints (JWKS). */
  serviceToken?: string;
  /** Per attempt. Default 2 s. */
  timeoutMs?: number;
  /** Attempts in total, including the first. Default 3. */
  attempts?: number;
  /** First backoff (default 50 ms) and its ceiling (default 2 s); jittered. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Consecutive failed calls that open the breaker (default 5), and how long it stays open (default 5 s). */
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  /** The request id of the work in progress when a call names none (e.g. from AsyncLocalStorage). */
  requestId?: () => string | undefined;
  /** Logs each retry (never the credential or the body). */
  logger?: RetryLogger;
}

export interface ServiceRequest {
  method: HttpMethod;
  /** Starts with `/`; may carry a query string. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /**
   * May this call be repeated after it might have reached the service? Defaults to the method's
   * idempotency; say `true` for a POST the receiver deduplicates (an idempotency key, record ids).
   */
  idempotent?: boolean;
  /** Overrides the transport's `requestId` for this call. */
  requestId?: string;
  /** Overrides the per-attempt timeout for this call. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** The caller giving up (its own request ended): stops the call and its retries. */
  signal?: AbortSignal;
}

export interface ServiceResponse<T> {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined for an empty one (204). */
  body: T;
}

/** An answer as it came, for a proxy: every status below 500, the body's bytes unparsed. */
export interface RawServiceResponse {
  status: number;
  headers: Headers;
  /** Empty for an answer without a body (204, 304). */
  body: Buffer;
}

/** What one attempt read off the wire, before it is judged. */
interface Received {
  response: Response;
  bytes: Buffer;
}

/** A connection failure inside one attempt, before it is known whether it may be retried. */
class ConnectionFailure extends Error {
  readonly notSent: boolean;
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.notSent = failedBeforeSending(cause);
  }
  /** e.g. `ECONNREFUSED`, for people reading the error. */
  get reason(): string {
    return connectionErrorCodes(this.cause)[0] ?? this.message;
  }
}

/** The caller aborted: ends the call as is, neither retried nor held against the target. */
class CallerGaveUp extends Error {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super('the caller gave up');
    this.reason = reason;
  }
}

const JSON_ACCEPT = 'application/json, application/problem+json';

/** The body as JSON when it is JSON, else its text; undefined when empty. */
function parseJson(bytes: Buffer): { body: unknown; parsed: boolean } {
  const text = bytes.toString('utf8');
  if (text === '') return { body: undefined, parsed: true };
  try {
    return { body: JSON.parse(text), parsed: true };
  } catch {
    return { body: text, parsed: false };
  }
}

/** Statuses worth another attempt of an idempotent call. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Statuses that count against the target's breaker: it is failing, not the request. */
const BREAKER_STATUSES = new Set([500, 502, 503, 504]);

/** A failure that says the target is in trouble (what the breaker counts). */
function targetFailed(error: unknown): boolean {
  if (error instanceof ConnectionFailure || error instanceof TaskCancelledError) return true;
  return error instanceof ServiceProblemError && BREAKER_STATUSES.has(error.status);
}

export class ServiceHttp {
  readonly service: string;
  readonly baseUrl: string;
  /** The target's circuit breaker (its `state`, `onStateChange`, `isolate()` for tests and probes). */
  readonly breaker: CircuitBreakerPolicy;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #requestId: (() => string | undefined) | undefined;
  /** Two retry policies: calls that may be repeated, and calls only repeated when never sent. */
  readonly #retrySafe: RetryPolicy;
  readonly #retryUnsent: RetryPolicy;
  /** The failure of the last call that counted against the breaker, for circuit-open errors. */
  #lastFailure: string | undefined;

  constructor(options: ServiceHttpOptions) {
    this.service = options.service;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.serviceToken;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#requestId = options.requestId;
    this.breaker = circuitBreaker(handleWhen(targetFailed), {
      halfOpenAfter: options.breakerHalfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    });
    const backoff = () =>
      // cockatiel's exponential backoff is jittered (decorrelated jitter) by default.
      new ExponentialBackoff({
        initialDelay: options.initialBackoffMs ?? 50,
        maxDelay: options.maxBackoffMs ?? 2_000,
      });
    const maxAttempts = Math.max(0, (options.attempts ?? 3) - 1);
    this.#retrySafe = retry(
      handleWhen(
        (error) =>
          error instanceof ConnectionFailure ||
          error instanceof TaskCancelledError ||
          (error instanceof ServiceProblemError && RETRYABLE_STATUSES.has(error.status)),
      ),
      { maxAttempts, backoff: backoff() },
    );
    this.#retryUnsent = retry(
      handleWhen((error) => error instanceof ConnectionFailure && error.notSent),
      { maxAttempts, backoff: backoff() },
    );
    const logger = options.logger;
    if (logger) {
      const log = (event: { delay: number; attempt: number } & ({ error: unknown } | { value: unknown })) =>
        logger.warn(
          {
            service: this.service,
            attempt: event.attempt,
            delayMs: Math.round(event.delay),
            reason: 'error' in event ? (event.error as Error).message : 'unexpected result',
          },
          'service call failed, retrying',
        );
      this.#retrySafe.onRetry(log);
      this.#retryUnsent.onRetry(log);
    }
  }

  /** False while the breaker is open: calls to this target fail at once. */
  get available(): boolean {
    return this.breaker.state !== CircuitState.Open && this.breaker.state !== CircuitState.Isolated;
  }

  /** The JSON body of a successful call. */
  async request<T = unknown>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    options: Omit<ServiceRequest, 'method' | 'path' | 'body'> = {},
  ): Promise<T> {
    return (await this.send<T>({ ...options, method, path, ...(body === undefined ? {} : { body }) })).body;
  }

  /** A successful call's status, headers and JSON body. */
  async send<T = unknown>(request: ServiceRequest): Promise<ServiceResponse<T>> {
    return this.#call(request, JSON_ACCEPT, (received) => this.#jsonAnswer<T>(request, received));
  }

  /**
   * The answer as it came (status, headers, bytes) for every status below 500, under the same
   * credential, request id, timeouts, retries and breaker as `send`. A 5xx throws the
   * `ServiceProblemError` it stands for (after the retries an idempotent call gets), and no
   * answer throws `ServiceUnavailableError`, exactly as `send` does.
   */
  async sendRaw(request: ServiceRequest): Promise<RawServiceResponse> {
    return this.#call(request, '*/*', (received) => {
      const { response, bytes } = received;
      if (response.status >= 500) throw this.#problem(request, received);
      return { status: response.status, headers: response.headers, body: bytes };
    });
  }

  /** One call under the policy: attempts (each with its timeout) inside the breaker. */
  async #call<R>(request: ServiceRequest, accept: string, judge: (received: Received) => R): Promise<R> {
    const idempotent = request.idempotent ?? isIdempotentMethod(request.method);
    const timeoutMs = request.timeoutMs ?? this.#timeoutMs;
    const attempts = wrap(
      idempotent ? this.#retrySafe : this.#retryUnsent,
      timeout(timeoutMs, TimeoutStrategy.Aggressive),
    );
    const headers = this.#headers(request, accept);
    try {
      // The breaker outside the retries: it sees one outcome per call.
      return await this.breaker.execute(async ({ signal }) => {
        try {
          return await attempts.execute(
            async ({ signal }) => judge(await this.#receive(request, headers, signal)),
            signal,
          );
        } catch (error) {
          // The timeout policy reports the caller's abort as a cancellation: not the target's fault.
          if (request.signal?.aborted) throw new CallerGaveUp(request.signal.reason ?? error);
          throw error;
        }
      }, request.signal);
    } catch (error) {
      throw this.#outcome(error, request, timeoutMs);
    }
  }

  #headers(request: ServiceRequest, accept: string): Record<string, string> {
    const headers: Record<string, string> = { accept };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token !== undefined) headers[SERVICE_TOKEN_HEADER] = this.#token;
    const requestId = request.requestId ?? this.#requestId?.();
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    return { ...headers, ...request.headers };
  }

  /** One attempt: the request sent and the whole answer read, or the connection's failure. */
  async #receive(
    request: ServiceRequest,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Received> {
    try {
      const response = await fetch(`${this.baseUrl}${request.path}`, {
        method: request.method,
        headers,
        signal,
        redirect: 'manual',
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
      return { response, bytes: Buffer.from(await response.arrayBuffer()) };
    } catch (error) {
      this.#throwIfCallerGaveUp(request);
      if (signal.aborted) throw new TaskCancelledError();
      throw new ConnectionFailure(error);
    }
  }

  #jsonAnswer<T>(request: ServiceRequest, received: Received): ServiceResponse<T> {
    const { response } = received;
    const { body, parsed } = parseJson(received.bytes);
    if (response.status < 200 || response.status >= 300) throw this.#problem(request, received);
    if (!parsed) {
      // A proxy's error page or a misrouted call: not an answer of the service's API.
      throw new ServiceProblemError({
        service: this.service,
        method: request.method,
        path: request.path,
        status: 502,
        type: `${PROBLEM_BASE}invalid-response`,
        title: 'Invalid response',
        detail: `answered ${response.status} with a body that is not JSON`,
      });
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  /** The error an answer with a failure status stands for (its problem details when it has them). */
  #problem(request: ServiceRequest, { response, bytes }: Received): ServiceProblemError {
    return problemFromResponse(
      {
        service: this.service,
        method: request.method,
        path: request.path,
        status: response.status,
        statusText: response.statusText,
      },
      parseJson(bytes).body,
    );
  }

  /** The caller's abort is neither retried nor held against the target: it ends the call as is. */
  #throwIfCallerGaveUp(request: ServiceRequest): void {
    if (request.signal?.aborted) throw request.signal.reason ?? new Error('aborted');
  }

  /** What the caller sees of a failed call. */
  #outcome(error: unknown, request: ServiceRequest, timeoutMs: number): unknown {
    const where = { service: this.service, method: request.method, path: request.path };
    if (error instanceof CallerGaveUp) return error.reason;
    if (request.signal?.aborted) return request.signal.reason ?? error;
    if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
      return new ServiceUnavailableError({
        ...where,
        reason: 'circuit-open',
        failure: this.#lastFailure ?? 'circuit-open',
        detail: `the ${this.service} service is failing; the circuit breaker is open`,
      });
    }
    if (error instanceof TaskCancelledError) {
      this.#lastFailure = 'timeout';
      return new ServiceUnavailableError({
        ...where,
        reason: 'timeout',
        detail: `the ${this.service} service did not answer within ${timeoutMs} ms`,
      });
    }
    if (error instanceof ConnectionFailure) {
      this.#lastFailure = error.reason;
      return new ServiceUnavailableError({
        ...where,
        reason: 'unreachable',
        failure: error.reason,
        detail: `the ${this.service} service is unreachable (${error.reason})`,
        cause: error.cause,
      });
    }
    if (targetFailed(error)) this.#lastFailure = `HTTP ${(error as ServiceProblemError).status}`;
    return error;
  }
}
