/**
 * What messaging's routes share: their dependencies, the acting user (the verified user the
 * gateway names in x-parley-user / x-parley-roles, believed only behind a service credential),
 * and the problem answers every route declares.
 */
import { ACTING_ROLES_HEADER, ACTING_USER_HEADER, ActingUserHeadersSchema } from '@parley/contracts';
import { ProblemSchema, routePlugin, type ServiceRoutes } from '@parley/kit';
import type { FastifyRequest } from 'fastify';
import type { MessagingDomain } from '../components.ts';
import type { Caller } from '../domain/caller.ts';

/**
 * A route file: a Fastify plugin over messaging's domain objects, registered by app.ts with
 * `scope.register(thingRoutes, { domain })` inside the guarded `/v1/tenants/:tenant` scope.
 */
export function messagingRoutes(declare: (app: ServiceRoutes, domain: MessagingDomain) => void) {
  return routePlugin<{ domain: MessagingDomain }>((app, { domain }) => declare(app, domain));
}

export const ActingUserHeaders = ActingUserHeadersSchema;

export const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
};

/** The caller of a request whose headers and params the route schema has validated. */
export function callerOf(request: FastifyRequest): Caller {
  const headers = request.headers as Record<string, string | undefined>;
  const roles = headers[ACTING_ROLES_HEADER];
  return {
    tenant: (request.params as { tenant: string }).tenant,
    userId: headers[ACTING_USER_HEADER] as string,
    roles: roles ? roles.split(',').filter(Boolean) : [],
  };
}
