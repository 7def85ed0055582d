/**
 * What an audit record and the brute-force guard learn about the request behind an action.
 *
 * The client's address: behind the gateway every request comes from the gateway, so per-address
 * lockouts would lock everyone out at once. The gateway forwards the client's address in
 * `x-forwarded-for`, and it is believed only on a request that also carries the service
 * credential (so a client cannot pick its own address to dodge the guard); otherwise the socket's
 * address is used.
 */
import { type ServiceCallers, serviceCallerOf, Type } from '@parley/kit';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { RequestContext } from '../domain/audit-records.ts';

declare module 'fastify' {
  interface FastifyRequest {
    clientAddress?: string;
  }
}

/** The response schema of a route that answers 204 with no body. */
export const NoContent = Type.Null({ description: 'Done; no content' });

export function resolveClientAddress(serviceToken: string | ServiceCallers): onRequestHookHandler {
  return async (request) => {
    const forwarded = request.headers['x-forwarded-for'];
    const trusted = serviceCallerOf(request, serviceToken) !== undefined;
    const first = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined;
    request.clientAddress = trusted && first && /^[0-9a-fA-F:.]{2,45}$/.test(first) ? first : request.ip;
  };
}

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.clientAddress ?? request.ip,
    ...(typeof userAgent === 'string' ? { userAgent } : {}),
    requestId: request.id,
  };
}
