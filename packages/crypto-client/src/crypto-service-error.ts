/**
 * The crypto service's errors under the names callers already switch on. They are the
 * transport's own errors (@parley/service-http), matched to this service with `instanceof`:
 * `error instanceof CryptoServiceError` is true for any `ServiceProblemError` of the crypto
 * service, `CryptoServiceUnavailableError` for its `ServiceUnavailableError` (breaker open, timed
 * out, unreachable). `code` is the problem type's slug, the same string the keyring's own errors
 * carry (`key-destroyed`, `decryption-failed`, ...), so a caller switches on `error.code` alike
 * whether the keyring ran in process or behind the service.
 */
import { ServiceProblemError, ServiceUnavailableError } from '@parley/service-http';

/** The name the crypto service's transport uses in its errors. */
export const CRYPTO_SERVICE = 'crypto';

export class CryptoServiceError extends ServiceProblemError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof ServiceProblemError && value.service === CRYPTO_SERVICE;
  }
}

export class CryptoServiceUnavailableError extends ServiceUnavailableError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof ServiceUnavailableError && value.service === CRYPTO_SERVICE;
  }
}
