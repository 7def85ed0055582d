/**
 * Ties a request to its tenant in the logs: once a route knows the tenant (from a verified token
 * or an internal call's path), every later log line of that request carries it.
 */
import type { FastifyRequest } from 'fastify';

export function bindTenantToRequestLog(request: FastifyRequest, tenant: string): void {
  request.log = request.log.child({ tenant });
}
