/**
 * What a failed call to the crypto service throws. `code` is the problem type's slug, the same
 * string the keyring's own errors carry (`key-destroyed`, `decryption-failed`, ...), so a caller
 * switches on `error.code` alike whether the keyring ran in process or behind the service.
 */
export class CryptoServiceError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, problem?: Record<string, unknown>) {
    super(message);
    this.name = 'CryptoServiceError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }

  /** Worth another attempt: the service or the way to it failed, not the request. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** The circuit breaker is open (or every attempt failed transiently): the service is unreachable for now. */
export class CryptoServiceUnavailableError extends CryptoServiceError {
  constructor(message: string) {
    super(503, 'crypto-unavailable', message);
    this.name = 'CryptoServiceUnavailableError';
  }
}
