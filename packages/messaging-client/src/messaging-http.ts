/**
 * One HTTP call to the messaging service over the house transport (@parley/service-http): the
 * service credential and request id, a timeout per attempt, the messaging service's circuit
 * breaker, and retries only where a repeat is safe (`idempotent` calls: reads, PUT/DELETE, and
 * sends, which the service deduplicates on the client message id; any call refused before it was
 * sent). A problem the service answered is kept whole (`problem`), so the gateway can hand it on
 * to its client.
 *
 * `MessagingServiceError` names the transport's errors from this service (`instanceof` matches
 * any ServiceProblemError of the messaging service): `status` is what it answered, 503 when it
 * could not answer (ServiceUnavailableError: breaker open, timeout, unreachable).
 */
import { ACTING_ROLES_HEADER, ACTING_USER_HEADER } from '@parley/contracts';
import { ServiceHttp, type ServiceHttpOptions, ServiceProblemError } from '@parley/service-http';
import type { CircuitBreakerPolicy } from 'cockatiel';

/** The name the messaging service's transport uses in its errors. */
export const MESSAGING_SERVICE = 'messaging';

export class MessagingServiceError extends ServiceProblemError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof ServiceProblemError && value.service === MESSAGING_SERVICE;
  }
}

export interface MessagingHttpOptions extends Omit<ServiceHttpOptions, 'service'> {
  /** Per attempt; default 5 s. */
  timeoutMs?: number;
  /** Attempts in total for idempotent calls; default 3. */
  attempts?: number;
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
  /** The acting user; a tenant alone for the few routes a service calls for itself (the message log). */
  as: ActingUser | { tenant: string };
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  /** True when repeating the call cannot do twice what it did once. */
  idempotent: boolean;
}

export interface MessagingResponse<T> {
  status: number;
  body: T;
}

export class MessagingHttp {
  readonly transport: ServiceHttp;

  constructor(options: MessagingHttpOptions) {
    this.transport = new ServiceHttp({
      timeoutMs: 5_000,
      attempts: 3,
      breakerThreshold: 5,
      breakerHalfOpenAfterMs: 5_000,
      ...options,
      service: MESSAGING_SERVICE,
    });
  }

  /** The messaging service's circuit breaker. */
  get breaker(): CircuitBreakerPolicy {
    return this.transport.breaker;
  }

  async request<T>(request: MessagingRequest): Promise<MessagingResponse<T>> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) search.set(name, String(value));
    const query = search.size > 0 ? `?${search}` : '';
    const { status, body } = await this.transport.send<T>({
      method: request.method,
      path: `/v1/tenants/${encodeURIComponent(request.as.tenant)}${request.path}${query}`,
      idempotent: request.idempotent,
      headers:
        'userId' in request.as
          ? {
              [ACTING_USER_HEADER]: request.as.userId,
              [ACTING_ROLES_HEADER]: request.as.roles.join(','),
            }
          : {},
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    return { status, body };
  }
}
