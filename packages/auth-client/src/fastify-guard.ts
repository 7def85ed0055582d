/**
 * A Fastify onRequest hook that admits only requests with a valid bearer token of a live session,
 * and puts the token's claims on `request.auth`. Refusals are problem details with a
 * WWW-Authenticate header (RFC 6750); the reason stays in the log, not in the answer.
 */
import type { AccessTokenClaims } from '@parley/contracts';
import { ProblemError } from '@parley/kit';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { TokenVerifier } from './token-verifier.ts';
import { TokenRejectedError } from './token-verifier.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AccessTokenClaims;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_.-]{10,4096})$/;

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

function refuse(detail: string): ProblemError {
  return new ProblemError(401, 'unauthorized', 'Unauthorized', detail, {});
}

export function requireAccessToken(verifier: TokenVerifier): onRequestHookHandler {
  return async (request, reply) => {
    const token = bearerToken(request);
    if (!token) {
      reply.header('www-authenticate', 'Bearer');
      throw refuse('A bearer access token is required');
    }
    try {
      request.auth = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
      request.log.info({ reason: error.reason }, 'access token refused');
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw refuse('The access token is invalid, expired or revoked');
    }
  };
}

/** The claims of a request that passed requireAccessToken (a programming error otherwise). */
export function authOf(request: FastifyRequest): AccessTokenClaims {
  if (!request.auth) throw new Error('route is missing the requireAccessToken hook');
  return request.auth;
}
