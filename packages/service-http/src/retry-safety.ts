/**
 * What is safe to send twice. An idempotent method (RFC 9110 §9.2.2) may be repeated whatever
 * happened to the first attempt; any other request only when it provably never left this process:
 * the connection was refused or never made (DNS, no route, connect timeout), so the service
 * cannot have acted on it. A reset, a timeout or a 5xx after the request was written might have
 * been acted on, so a POST is not repeated then unless its caller says it is idempotent (an
 * idempotency key, a record id the receiver deduplicates on).
 */

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Errors raised while connecting, before a byte of the request was written. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The system error codes behind a failed fetch (undici wraps them; happy eyeballs aggregates them). */
export function connectionErrorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 4 || value === null || typeof value !== 'object') return;
    const { code, cause, errors } = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    visit(cause, depth + 1);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes;
}

/** True when every code says the connection was never made (so the request was never sent). */
export function failedBeforeSending(error: unknown): boolean {
  const codes = connectionErrorCodes(error);
  return codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code));
}
