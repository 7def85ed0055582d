/**
 * What a failed call to another service throws, in two kinds a caller can tell apart:
 *
 * - `ServiceProblemError`: the service answered, with an error (its RFC 9457 problem details, or
 *   whatever a proxy answered, turned into the same shape). The request reached it; the answer
 *   is the service's own word on it (400, 404, 409 legal-hold, ...).
 * - `ServiceUnavailableError` (a subclass): no answer could be had: the breaker for that target
 *   is open, every attempt timed out, or the service could not be reached. A gateway answers 503
 *   for that service's routes only, and the rest of the API keeps working.
 */
import { PROBLEM_BASE } from '@parley/kit';

export interface ServiceProblemInit {
  /** The target's name (`crypto`, `compliance`, `auth`, ...). */
  service: string;
  status: number;
  /** The problem type URI; `about:blank` when the answer carried none. */
  type?: string;
  title?: string;
  detail?: string;
  /** The whole problem object as answered, extensions included (e.g. a legal hold's `holds`). */
  problem?: Record<string, unknown>;
  method?: string;
  path?: string;
}

/** Statuses that say the service (or the way to it) failed, not the request. */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export class ServiceProblemError extends Error {
  readonly service: string;
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly problem: Record<string, unknown>;
  readonly method: string | undefined;
  readonly path: string | undefined;

  constructor(init: ServiceProblemInit) {
    const title = init.title ?? `HTTP ${init.status}`;
    super(`${init.service} service: ${init.detail ?? title}`);
    this.name = 'ServiceProblemError';
    this.service = init.service;
    this.status = init.status;
    this.type = init.type ?? 'about:blank';
    this.title = title;
    this.detail = init.detail;
    this.problem = init.problem ?? { type: this.type, title, status: init.status, detail: init.detail };
    this.method = init.method;
    this.path = init.path;
  }

  /**
   * The problem type's last path segment (`key-destroyed`, `legal-hold`, ...), the stable string
   * a caller switches on; `http-<status>` for an answer without a problem type.
   */
  get code(): string {
    if (this.type === 'about:blank') return `http-${this.status}`;
    return this.type.slice(this.type.lastIndexOf('/') + 1) || `http-${this.status}`;
  }

  /** Worth trying again later: the service or the way to it failed, not the request. */
  get transient(): boolean {
    return TRANSIENT_STATUSES.has(this.status);
  }
}

/** Why no answer could be had. */
export type UnavailableReason = 'circuit-open' | 'timeout' | 'unreachable';

export const SERVICE_UNAVAILABLE_TYPE = `${PROBLEM_BASE}service-unavailable`;

export class ServiceUnavailableError extends ServiceProblemError {
  readonly reason: UnavailableReason;
  /**
   * What failed, in a word fit for a status message: the connection error's code
   * (`ECONNREFUSED`), `timeout`, or, with the breaker open, the failure of the last call it
   * counted (so an outage keeps its cause in view).
   */
  readonly failure: string;

  constructor(init: {
    service: string;
    reason: UnavailableReason;
    failure?: string;
    detail: string;
    method?: string;
    path?: string;
    cause?: unknown;
  }) {
    super({
      service: init.service,
      status: 503,
      type: SERVICE_UNAVAILABLE_TYPE,
      title: 'Service unavailable',
      detail: init.detail,
      ...(init.method === undefined ? {} : { method: init.method }),
      ...(init.path === undefined ? {} : { path: init.path }),
    });
    this.name = 'ServiceUnavailableError';
    this.reason = init.reason;
    this.failure = init.failure ?? init.reason;
    if (init.cause !== undefined) this.cause = init.cause;
  }

  override get transient(): boolean {
    return true;
  }
}

/**
 * The error an answer with a failure status stands for. A problem-details body gives the type,
 * title and detail; anything else (a proxy's HTML page, an empty body) is described by its status.
 */
export function problemFromResponse(
  init: { service: string; method: string; path: string; status: number; statusText: string },
  body: unknown,
): ServiceProblemError {
  const problem =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const type = str(problem?.type);
  const title = str(problem?.title) ?? (init.statusText || undefined);
  const detail =
    str(problem?.detail) ?? (typeof body === 'string' ? body.slice(0, 300) || undefined : undefined);
  return new ServiceProblemError({
    service: init.service,
    status: init.status,
    method: init.method,
    path: init.path,
    ...(type === undefined ? {} : { type }),
    ...(title === undefined ? {} : { title }),
    ...(detail === undefined ? {} : { detail }),
    ...(problem === undefined ? {} : { problem }),
  });
}
