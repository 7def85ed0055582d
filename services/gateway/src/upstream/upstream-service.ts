/**
 * One service behind the gateway, called over HTTP under the house's call policy (kit's cockatiel
 * wrap): a timeout per attempt, a circuit breaker per service, and retries only for requests that
 * are safe to repeat (GET), so a sign-in or a send is never performed twice by the gateway.
 *
 * What the service answers (status, body, the headers a client needs) is handed back as it came,
 * a problem included. A service that cannot be reached, times out, answers 5xx or whose breaker
 * is open becomes `UpstreamUnavailableError`, which the app answers with 503 problem details for
 * that service's routes only.
 */
import { createCallPolicy, SERVICE_TOKEN_HEADER } from '@parley/kit';
import { BrokenCircuitError, type IPolicy, isBrokenCircuitError, TaskCancelledError } from 'cockatiel';

export class UpstreamUnavailableError extends Error {
  readonly service: string;
  constructor(service: string, reason: string) {
    super(`the ${service} service is unavailable: ${reason}`);
    this.name = 'UpstreamUnavailableError';
    this.service = service;
  }
}

/** A 5xx answer, kept so a retry or the breaker can see it; never shown to the client. */
class UpstreamFailure extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`answered ${status}`);
    this.status = status;
  }
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string | undefined>;
}

export interface UpstreamAnswer {
  status: number;
  contentType: string | undefined;
  /** The headers a client of the gateway needs from the service's answer. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface UpstreamServiceOptions {
  name: string;
  baseUrl: string;
  /** The gateway's own credential, presented on every call. */
  serviceToken: string;
  timeoutMs: number;
  attempts?: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
}

const PASSED_BACK = ['www-authenticate', 'retry-after', 'content-disposition', 'cache-control', 'location'];

const isTransient = (error: unknown) =>
  error instanceof TaskCancelledError ||
  error instanceof UpstreamFailure ||
  // fetch's "cannot connect" (refused, reset, DNS) is a TypeError.
  error instanceof TypeError;

export class UpstreamService {
  readonly name: string;
  readonly #baseUrl: string;
  readonly #token: string;
  /** Retries and breaker, for GET. */
  readonly #safe: IPolicy;
  /** The same breaker and timeout, one attempt: for everything that is not safe to repeat. */
  readonly #once: IPolicy;

  constructor(options: UpstreamServiceOptions) {
    this.name = options.name;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.serviceToken;
    const shared = {
      isTransient,
      timeoutMs: options.timeoutMs,
      initialBackoffMs: 50,
      maxBackoffMs: 500,
      breakerThreshold: options.breakerThreshold ?? 5,
      breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 5_000,
    };
    this.#safe = createCallPolicy({ ...shared, attempts: options.attempts ?? 2 }).policy;
    this.#once = createCallPolicy({ ...shared, attempts: 1 }).policy;
  }

  async call(request: UpstreamRequest): Promise<UpstreamAnswer> {
    const policy = request.method === 'GET' ? this.#safe : this.#once;
    try {
      return await policy.execute(({ signal }) => this.#attempt(request, signal));
    } catch (error) {
      if (error instanceof BrokenCircuitError || isBrokenCircuitError(error)) {
        throw new UpstreamUnavailableError(this.name, 'circuit open after repeated failures');
      }
      if (error instanceof TaskCancelledError) throw new UpstreamUnavailableError(this.name, 'timed out');
      if (error instanceof UpstreamFailure) {
        throw new UpstreamUnavailableError(this.name, `answered ${error.status}`);
      }
      if (error instanceof TypeError) throw new UpstreamUnavailableError(this.name, 'unreachable');
      throw error;
    }
  }

  async #attempt(request: UpstreamRequest, signal: AbortSignal): Promise<UpstreamAnswer> {
    const headers: Record<string, string> = { [SERVICE_TOKEN_HEADER]: this.#token };
    for (const [name, value] of Object.entries(request.headers ?? {})) if (value) headers[name] = value;
    const hasBody = request.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.#baseUrl}${request.path}${queryString(request.query)}`, {
      method: request.method,
      headers,
      signal,
      ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
    });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status >= 500) throw new UpstreamFailure(response.status);
    const passed: Record<string, string> = {};
    for (const name of PASSED_BACK) {
      const value = response.headers.get(name);
      if (value !== null) passed[name] = value;
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? undefined,
      headers: passed,
      body,
    };
  }
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
