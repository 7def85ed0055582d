/**
 * Internal endpoints are never open: a caller between services presents the service credential
 * in `x-service-token`, compared in constant time. Register per route (or per plugin scope) with
 * `onRequest: requireServiceCredential(token)`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import { problems } from '../problem.ts';

export const SERVICE_TOKEN_HEADER = 'x-service-token';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function requireServiceCredential(expectedToken: string): onRequestHookHandler {
  const expected = digest(expectedToken);
  return async (request) => {
    const presented = request.headers[SERVICE_TOKEN_HEADER];
    // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the length.
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), expected)) {
      throw problems.unauthorized('A valid service credential is required');
    }
  };
}
