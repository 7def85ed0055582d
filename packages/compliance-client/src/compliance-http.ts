/**
 * The compliance service's transport: @parley/service-http with this client's defaults (a
 * timeout of 5 s per attempt, 3 attempts, a breaker that 5 consecutive failed calls open for
 * 5 s). Share one per process: it holds the breaker for the compliance service.
 *
 * `ComplianceServiceError` names the transport's errors from this service, matched with
 * `instanceof` (any `ServiceProblemError` of the compliance service, `ServiceUnavailableError`
 * included), so callers keep switching on it and on `status`.
 */
import { ServiceHttp, type ServiceHttpOptions, ServiceProblemError } from '@parley/service-http';

/** The name the compliance service's transport uses in its errors. */
export const COMPLIANCE_SERVICE = 'compliance';

export class ComplianceServiceError extends ServiceProblemError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof ServiceProblemError && value.service === COMPLIANCE_SERVICE;
  }
}

/** The transport's settings (its service name is `compliance`). */
export type ComplianceHttpOptions = Omit<ServiceHttpOptions, 'service'>;

/** A transport to the compliance service, with this client's defaults under the given options. */
export function complianceHttp(options: ComplianceHttpOptions): ServiceHttp {
  return new ServiceHttp({
    timeoutMs: 5_000,
    attempts: 3,
    breakerThreshold: 5,
    breakerHalfOpenAfterMs: 5_000,
    ...options,
    service: COMPLIANCE_SERVICE,
  });
}

/** The given transport (which must be the compliance service's), or one made from settings. */
export function toComplianceHttp(http: ServiceHttp | ComplianceHttpOptions): ServiceHttp {
  if (!(http instanceof ServiceHttp)) return complianceHttp(http);
  if (http.service !== COMPLIANCE_SERVICE)
    throw new Error(
      `the compliance client needs the transport of service "${COMPLIANCE_SERVICE}", not "${http.service}"`,
    );
  return http;
}
