/**
 * One HTTP call to the crypto service under cockatiel policies: a timeout per attempt, retries
 * with exponential backoff and jitter for transient failures only (network errors, timeouts,
 * 502/503/504: never a 4xx, which would fail again), and a circuit breaker that stops hammering
 * a service that keeps failing. cockatiel is the house's choice (ARCHITECTURE.md) and is what
 * kit and auth-client already use.
 */
import { createCallPolicy, SERVICE_TOKEN_HEADER } from '@parley/kit';
import { BrokenCircuitError, type CircuitBreakerPolicy, type IPolicy, TaskCancelledError } from 'cockatiel';
import { CryptoServiceError, CryptoServiceUnavailableError } from './crypto-service-error.ts';

export interface TransportOptions {
  baseUrl: string;
  serviceToken: string;
  /** Per attempt. Default 2 s. */
  timeoutMs?: number;
  /** Attempts in total, including the first. Default 3. */
  attempts?: number;
  /** Consecutive transient failures that open the breaker (default 5), and how long it stays open (default 5 s). */
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  initialBackoffMs?: number;
  /** Sent as x-request-id, so one id follows a request across services. */
  requestId?: () => string | undefined;
}

const isTransient = (error: unknown) =>
  error instanceof TaskCancelledError || (error instanceof CryptoServiceError && error.transient);

export class ResilientTransport {
  private readonly options: Required<Omit<TransportOptions, 'requestId'>> &
    Pick<TransportOptions, 'requestId'>;
  private readonly policy: IPolicy;
  readonly breaker: CircuitBreakerPolicy;

  constructor(options: TransportOptions) {
    this.options = {
      timeoutMs: 2_000,
      attempts: 3,
      breakerThreshold: 5,
      breakerHalfOpenAfterMs: 5_000,
      initialBackoffMs: 50,
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
    };
    ({ policy: this.policy, breaker: this.breaker } = createCallPolicy({ isTransient, ...this.options }));
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    try {
      return await this.policy.execute(({ signal }) => this.attempt<T>(method, path, body, signal));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new CryptoServiceUnavailableError('The crypto service is failing; the circuit breaker is open');
      }
      if (error instanceof TaskCancelledError) {
        throw new CryptoServiceUnavailableError(
          `The crypto service did not answer within ${this.options.timeoutMs} ms`,
        );
      }
      throw error;
    }
  }

  private async attempt<T>(method: string, path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      [SERVICE_TOKEN_HEADER]: this.options.serviceToken,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const requestId = this.options.requestId?.();
    if (requestId) headers['x-request-id'] = requestId;
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers,
        signal,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      if (signal.aborted) throw new TaskCancelledError();
      throw new CryptoServiceError(
        0,
        'crypto-unreachable',
        `The crypto service is unreachable: ${(error as Error).message}`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    const problem = (parsed ?? {}) as Record<string, unknown>;
    const type = typeof problem.type === 'string' ? problem.type : '';
    const code = type.slice(type.lastIndexOf('/') + 1) || `http-${response.status}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : `answered ${response.status}`;
    throw new CryptoServiceError(response.status, code, `Crypto service: ${detail}`, problem);
  }
}
