/**
 * Internal endpoints are never open: a caller between services presents its service credential
 * in `x-service-token`, compared in constant time. Register per route (or per plugin scope) with
 * `onRequest: requireServiceCredential(callers, { allow: ['operator'] })`.
 *
 * `callers` (from `SERVICE_TOKENS`, see ../service-credentials.ts) says which service each token
 * belongs to, so a route can admit only the services that need it, and a handler can read
 * `request.serviceCaller` to scope what the caller may do (the crypto service binds key purposes
 * to their owners this way). A bare token string is one caller named `service` (tests, and
 * services not yet given callers).
 *
 * Scoping per route: with `{ perRoute: true }` (usually on a whole scope through `guardScope`)
 * each route says which services may call it, in its own options:
 * `config: { serviceCallers: ['gateway'] }`, and optionally `serviceCallerParam: 'participant'`
 * when a path parameter must name the calling service itself (a service reports only its own
 * part). Any other known caller gets 403. A route under such a guard that declares no callers
 * is a programming error, thrown when the route is declared, so none is open by omission. The
 * OpenAPI document lists the callers as the roles of the route's `serviceToken` requirement.
 * A bare token string (tests of the routes themselves) is one caller that is not scoped.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { problems } from '../problem.ts';
import { parseServiceTokens } from '../service-credentials.ts';
import { checksRoutes, securedBy } from './route-security.ts';

export const SERVICE_TOKEN_HEADER = 'x-service-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The service whose credential the request carries (set by requireServiceCredential). */
    serviceCaller?: string;
  }
  interface FastifyContextConfig {
    /** The services whose credential this route accepts (under `requireServiceCredential(…, { perRoute: true })`). */
    serviceCallers?: readonly string[];
    /** A path parameter that must name the calling service itself. */
    serviceCallerParam?: string;
    /** A top-level body field that must name the calling service itself (checked after validation). */
    serviceCallerBodyField?: string;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The services a process accepts calls from, each known by its own token. */
export class ServiceCallers {
  readonly #digests: { name: string; digest: Buffer }[];

  private constructor(byName: Map<string, string>) {
    this.#digests = [...byName].map(([name, token]) => ({ name, digest: digest(token) }));
  }

  /** From `SERVICE_TOKENS` (`name=token,...`); throws on a malformed list. */
  static parse(spec: string): ServiceCallers {
    return new ServiceCallers(parseServiceTokens(spec));
  }

  static of(tokens: Record<string, string>): ServiceCallers {
    return ServiceCallers.parse(
      Object.entries(tokens)
        .map(([name, token]) => `${name}=${token}`)
        .join(','),
    );
  }

  /** The same callers restricted to `names` (a route or hook that only some services may pass). */
  only(names: readonly string[]): ServiceCallers {
    const subset = new ServiceCallers(new Map());
    subset.#digests.push(...this.#digests.filter((d) => names.includes(d.name)));
    return subset;
  }

  get names(): string[] {
    return this.#digests.map((d) => d.name);
  }

  /** The caller a presented token belongs to, or undefined. Every entry is compared, in constant time. */
  identify(presented: unknown): string | undefined {
    if (typeof presented !== 'string') return undefined;
    // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the length.
    const candidate = digest(presented);
    let found: string | undefined;
    for (const { name, digest: expected } of this.#digests) {
      if (timingSafeEqual(candidate, expected) && found === undefined) found = name;
    }
    return found;
  }

  /** Never print digests, even by accident. */
  toJSON(): { callers: string[] } {
    return { callers: this.names };
  }
}

export interface ServiceCredentialOptions {
  /** Only these callers may pass (403 for the others); every known caller when absent. */
  allow?: readonly string[];
  /** Each route names its callers in `config.serviceCallers` (403 for the others). */
  perRoute?: boolean;
  /**
   * With `perRoute`: the callers of routes that do not name them in their own options, by
   * `METHOD /full/url` (as the route is declared, prefixes included), so a service can keep the
   * whole matrix in one file. A route's own `config` wins.
   */
  routes?: Readonly<Record<string, RouteCallers>>;
}

export interface RouteCallers {
  callers: readonly string[];
  /** A path parameter that must name the calling service itself. */
  param?: string;
  /** A top-level body field that must name the calling service itself. */
  bodyField?: string;
}

/** What a route declares about its callers (empty when it declares nothing). */
export function routeServiceCallers(route: { config?: unknown }): {
  callers?: readonly string[];
  param?: string;
  bodyField?: string;
} {
  const config = (route.config ?? {}) as {
    serviceCallers?: readonly string[];
    serviceCallerParam?: string;
    serviceCallerBodyField?: string;
  };
  return {
    ...(config.serviceCallers ? { callers: config.serviceCallers } : {}),
    ...(config.serviceCallerParam ? { param: config.serviceCallerParam } : {}),
    ...(config.serviceCallerBodyField ? { bodyField: config.serviceCallerBodyField } : {}),
  };
}

type DeclaredRoute = { method: unknown; url: string; config?: unknown; preHandler?: unknown };

/** The route's callers from `table` when it names none itself (HEAD routes are their GET's). */
function adoptTableEntry(route: DeclaredRoute, table: Readonly<Record<string, RouteCallers>>): void {
  if (routeServiceCallers(route).callers) return;
  const method = String(route.method) === 'HEAD' ? 'GET' : String(route.method);
  const entry = table[`${method} ${route.url}`];
  if (!entry) return;
  route.config = {
    ...((route.config ?? {}) as object),
    serviceCallers: entry.callers,
    ...(entry.param ? { serviceCallerParam: entry.param } : {}),
    ...(entry.bodyField ? { serviceCallerBodyField: entry.bodyField } : {}),
  };
}

/**
 * A route whose body must name the caller gets a preHandler of its own: the body exists only
 * after validation, long after the credential's onRequest check.
 */
function guardBodyField(route: DeclaredRoute): void {
  const { bodyField } = routeServiceCallers(route);
  if (bodyField === undefined) return;
  const hook = async (request: FastifyRequest) => {
    const named = (request.body as Record<string, unknown> | undefined)?.[bodyField];
    if (named !== request.serviceCaller)
      throw problems.forbidden(
        `The ${request.serviceCaller} service may act here only for itself (${bodyField})`,
      );
  };
  const existing = route.preHandler;
  route.preHandler = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), hook];
}

function assertDeclaresCallers(route: DeclaredRoute): void {
  const { callers, param } = routeServiceCallers(route);
  if (!callers || callers.length === 0)
    throw new Error(
      `${String(route.method)} ${route.url} must say which services may call it (config.serviceCallers)`,
    );
  if (param !== undefined && !route.url.includes(`:${param}`))
    throw new Error(
      `${String(route.method)} ${route.url} has no path parameter ${param} (config.serviceCallerParam)`,
    );
}

/** 403 unless the route admits `caller` (and, where it says so, the caller is the one its path names). */
function assertRouteAdmits(request: FastifyRequest, caller: string): void {
  const { callers, param } = routeServiceCallers({ config: request.routeOptions.config });
  if (!callers?.includes(caller))
    throw problems.forbidden(`The ${caller} service may not call this endpoint`);
  if (param !== undefined && (request.params as Record<string, unknown>)[param] !== caller)
    throw problems.forbidden(`The ${caller} service may act here only for itself`);
}

const asCallers = (credential: string | ServiceCallers): ServiceCallers =>
  typeof credential === 'string' ? ServiceCallers.of({ service: credential }) : credential;

/** The caller of a request, if it carries a known credential (for hooks that only trust it). */
export function serviceCallerOf(
  request: FastifyRequest,
  credential: string | ServiceCallers,
): string | undefined {
  return asCallers(credential).identify(request.headers[SERVICE_TOKEN_HEADER]);
}

export function requireServiceCredential(
  credential: string | ServiceCallers,
  options: ServiceCredentialOptions = {},
): onRequestHookHandler {
  const callers = asCallers(credential);
  // A bare token is the one caller of a test of the routes: nothing to tell apart.
  const perRoute = options.perRoute === true && typeof credential !== 'string';
  // Marked, so the OpenAPI document says the route takes the service credential (route-security.ts).
  const hook = securedBy('serviceToken', async (request: FastifyRequest) => {
    const caller = callers.identify(request.headers[SERVICE_TOKEN_HEADER]);
    if (!caller) throw problems.unauthorized('A valid service credential is required');
    if (options.allow && !options.allow.includes(caller))
      throw problems.forbidden(`The ${caller} service may not call this endpoint`);
    // An unknown path under the scope is a 404 for every caller, not a refusal.
    if (perRoute && !request.is404) assertRouteAdmits(request, caller);
    request.serviceCaller = caller;
  });
  // Checked for bare tokens too, so a test of the routes fails where a route forgot its callers.
  const table = options.routes;
  return options.perRoute
    ? checksRoutes(hook, (route) => {
        if (table) adoptTableEntry(route, table);
        assertDeclaresCallers(route);
        if (perRoute) guardBodyField(route);
      })
    : hook;
}

/**
 * The same credential narrowed to `names` (a hook or route only some callers may pass, refusing
 * the others as unknown: 401). A bare token (tests) stands for every caller and stays as it is.
 */
export function onlyCallers(
  credential: string | ServiceCallers,
  names: readonly string[],
): string | ServiceCallers {
  return typeof credential === 'string' ? credential : credential.only(names);
}
