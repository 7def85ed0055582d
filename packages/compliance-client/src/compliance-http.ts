/**
 * One HTTP call to the compliance service under cockatiel policies (the house's choice, as in
 * crypto-client): a timeout per attempt, retries with jittered exponential backoff for transient
 * failures only (network errors, timeouts, 5xx; never a 4xx, which would fail again), and a
 * circuit breaker so an outage is noticed once, not once per batch.
 */
import { createCallPolicy, SERVICE_TOKEN_HEADER } from '@parley/kit';
import { BrokenCircuitError, type IPolicy, TaskCancelledError } from 'cockatiel';

export class ComplianceServiceError extends Error {
  readonly status: number | undefined;
  readonly transient: boolean;
  readonly problem: unknown;
  constructor(message: string, options: { status?: number; transient: boolean; problem?: unknown }) {
    super(message);
    this.name = 'ComplianceServiceError';
    this.status = options.status;
    this.transient = options.transient;
    this.problem = options.problem;
  }
}

export interface ComplianceHttpOptions {
  baseUrl: string;
  serviceToken: string;
  timeoutMs?: number;
  attempts?: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
}

const isTransient = (error: unknown) =>
  error instanceof TaskCancelledError || (error instanceof ComplianceServiceError && error.transient);

export class ComplianceHttp {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #policy: IPolicy;

  constructor(options: ComplianceHttpOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.serviceToken;
    this.#policy = createCallPolicy({
      isTransient,
      timeoutMs: options.timeoutMs ?? 5_000,
      attempts: options.attempts ?? 3,
      initialBackoffMs: 50,
      breakerThreshold: options.breakerThreshold ?? 5,
      breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 5_000,
    }).policy;
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    try {
      return await this.#policy.execute(({ signal }) => this.#attempt<T>(method, path, body, signal));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ComplianceServiceError('the compliance service is failing; the circuit breaker is open', {
          transient: true,
        });
      }
      if (error instanceof TaskCancelledError) {
        throw new ComplianceServiceError('the compliance service did not answer in time', {
          transient: true,
        });
      }
      throw error;
    }
  }

  async #attempt<T>(method: string, path: string, body: unknown, signal: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.#baseUrl}${path}`, {
        method,
        signal,
        headers: {
          [SERVICE_TOKEN_HEADER]: this.#token,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ComplianceServiceError(`cannot reach the compliance service: ${(error as Error).message}`, {
        transient: true,
      });
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const detail = (parsed as { detail?: string } | undefined)?.detail ?? response.statusText;
      throw new ComplianceServiceError(`compliance service answered ${response.status}: ${detail}`, {
        status: response.status,
        transient: response.status >= 500 || response.status === 429,
        problem: parsed,
      });
    }
    return parsed as T;
  }
}
