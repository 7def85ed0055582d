/**
 * The tenant admin behind an admin route: the gateway checked the token and the admin role and
 * names the user in messaging's acting-user headers (believed only behind its service
 * credential). The role is checked again here, so a gateway route that forgot it opens nothing.
 */
import { ACTING_ROLES_HEADER, ACTING_USER_HEADER } from '@parley/contracts';
import { problems } from '@parley/kit';
import type { ActingUser } from '@parley/messaging-client';
import type { FastifyRequest } from 'fastify';

export function adminOf(request: FastifyRequest): ActingUser {
  const roles = String(request.headers[ACTING_ROLES_HEADER] ?? '')
    .split(',')
    .filter(Boolean);
  if (!roles.includes('admin')) throw problems.forbidden('Only a tenant admin manages integrations');
  return {
    tenant: (request.params as { tenant: string }).tenant,
    userId: String(request.headers[ACTING_USER_HEADER]),
    roles,
  };
}
