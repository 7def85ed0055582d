/**
 * Which credential a route takes, said once by the hook that checks it. A guard hook carries the
 * name of its OpenAPI security scheme (`securedBy`), and the OpenAPI document reads it from the
 * route (a route-level hook) or from the scope the route was declared in (`guardScope`), so the
 * document cannot claim a route is open while a hook refuses it, or the reverse.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

/** The OpenAPI security schemes every Parley service may use. */
export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A user's access token, issued by the auth service for one tenant",
  },
  botToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'pbt',
    description:
      "A bot's token (`pbt_...`), issued once by a tenant admin (POST /api/v1/integrations/bots/{botId}/tokens), with the scopes it names",
  },
  serviceToken: {
    type: 'apiKey',
    in: 'header',
    name: 'x-service-token',
    description:
      "A Parley service's own credential (SERVICE_TOKENS): routes that take it are internal, for other Parley components only. Where an operation lists roles under this scheme, they are the services whose credential it accepts (any one of them); another service's credential is refused 403.",
  },
} as const;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;

const SCHEME = Symbol.for('parley.securityScheme');
const ROUTE_CHECK = Symbol.for('parley.routeCheck');

// biome-ignore lint/complexity/noBannedTypes: any hook shape (onRequest, preHandler) may be a guard.
type Hook = Function;

/** Marks a guard hook with the security scheme it enforces; returns the same hook. */
export function securedBy<H extends Hook>(scheme: SecuritySchemeName, hook: H): H {
  Object.defineProperty(hook, SCHEME, { value: scheme, enumerable: false });
  return hook;
}

/**
 * Gives a guard hook a check of each route it guards, run when the route is declared (a guard
 * that needs something from every route, such as the callers it admits, fails at start-up
 * instead of refusing or admitting at run time by omission). Returns the same hook.
 */
export function checksRoutes<H extends Hook>(hook: H, check: (route: RouteOptions) => void): H {
  Object.defineProperty(hook, ROUTE_CHECK, { value: check, enumerable: false });
  return hook;
}

function checkRoute(hook: unknown, route: RouteOptions): void {
  const check =
    typeof hook === 'function'
      ? (hook as { [ROUTE_CHECK]?: (r: RouteOptions) => void })[ROUTE_CHECK]
      : undefined;
  check?.(route);
}

export function schemeOf(hook: unknown): SecuritySchemeName | undefined {
  return typeof hook === 'function' ? (hook as { [SCHEME]?: SecuritySchemeName })[SCHEME] : undefined;
}

// Keyed by the route options object, which Fastify hands to every onRoute hook and which
// @fastify/swagger keeps as the route it documents.
const schemesByRoute = new WeakMap<object, Set<SecuritySchemeName>>();

function addSchemes(route: object, schemes: Iterable<SecuritySchemeName>): void {
  const known = schemesByRoute.get(route) ?? new Set<SecuritySchemeName>();
  for (const scheme of schemes) known.add(scheme);
  if (known.size > 0) schemesByRoute.set(route, known);
}

const GUARD_HOOKS = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const;

/** onRoute: records the schemes of the guard hooks declared on the route itself. */
export function recordRouteGuards(route: RouteOptions): void {
  const found: SecuritySchemeName[] = [];
  for (const name of GUARD_HOOKS) {
    const hooks = route[name];
    for (const hook of Array.isArray(hooks) ? hooks : [hooks]) {
      checkRoute(hook, route);
      const scheme = schemeOf(hook);
      if (scheme) found.push(scheme);
    }
  }
  addSchemes(route, found);
}

/** The schemes every guard of the route requires (all of them at once), empty for an open route. */
export function routeSchemes(route: object): SecuritySchemeName[] {
  return [...(schemesByRoute.get(route) ?? [])];
}

/**
 * Guards every route of a scope with `hook` (as `scope.addHook('onRequest', hook)` does) and
 * records its scheme on each route declared in the scope, which a scope-level hook cannot tell
 * the routes by itself. Call it before the scope declares its routes.
 */
export function guardScope(scope: FastifyInstance, hook: Hook): void {
  scope.addHook('onRequest', hook as never);
  const scheme = schemeOf(hook);
  scope.addHook('onRoute', (route) => {
    checkRoute(hook, route);
    if (scheme) addSchemes(route, [scheme]);
  });
}
