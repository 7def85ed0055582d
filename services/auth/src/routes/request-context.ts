/** What an audit record says about the request behind an action. */
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../domain/audit-records.ts';

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip,
    ...(typeof userAgent === 'string' ? { userAgent } : {}),
    requestId: request.id,
  };
}
