/**
 * OpenAPI 3.1 from the route schemas: the document at `/documentation/json` (and `/yaml`) by
 * @fastify/swagger, a browsable UI at `/documentation` by @fastify/swagger-ui. Operation ids,
 * tags, security and problem answers come from openapi-operations.ts.
 *
 * Both libraries are started by calling their plugin functions rather than through
 * `app.register`: register is deferred until `ready()`, while services declare routes on the root
 * synchronously right after createServiceApp, and @fastify/swagger only sees routes declared after
 * its onRoute hook exists. Calling it here installs that hook before any route. (The UI plugin is
 * called inside a plugin of ours for the same reason: through `register` it would ask for
 * @fastify/swagger by its registered name, which a called plugin does not leave behind.)
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback, RouteOptions } from 'fastify';
import { documentRoute, referenceProblemSchema, TEXT_RULE } from './openapi-operations.ts';
import { recordRouteGuards, SECURITY_SCHEMES } from './route-security.ts';

export const DOCUMENTATION_PREFIX = '/documentation';

export interface OpenApiOptions {
  service: string;
  /** The API's version (the service package's); 0.1.0 until services say otherwise. */
  version?: string;
  description?: string;
}

// Every route the app declared, documented or not, so a test can hold the document against them.
const declared = new WeakMap<object, RouteOptions[]>();

/** The routes an app built by createServiceApp declared (HEAD twins of GET routes left out). */
export function declaredRoutes(app: FastifyInstance): readonly RouteOptions[] {
  return declared.get(app) ?? [];
}

export function installOpenApi(app: FastifyInstance, options: OpenApiOptions): void {
  const routes: RouteOptions[] = [];
  declared.set(app, routes);
  app.addHook('onRoute', (route) => {
    recordRouteGuards(route);
    if (route.method !== 'HEAD') routes.push(route);
  });

  const swagger = fastifySwagger as unknown as FastifyPluginCallback<Record<string, unknown>>;
  swagger(
    app,
    {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: `Parley ${options.service} service`,
          version: options.version ?? '0.1.0',
          description: options.description ? `${options.description}\n\n${TEXT_RULE}` : TEXT_RULE,
        },
        components: { securitySchemes: SECURITY_SCHEMES },
      },
      // Schemas with an $id (the kit's Problem) keep it as their component name.
      refResolver: {
        buildLocalReference: (json: { $id?: unknown }, _base: unknown, _fragment: unknown, i: number) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
      transform: documentRoute,
      transformObject: referenceProblemSchema,
    },
    (error) => {
      if (error) throw error;
    },
  );

  const ui = fastifySwaggerUi as unknown as FastifyPluginAsync<Record<string, unknown>>;
  app.register(async (scope) => ui(scope, { routePrefix: DOCUMENTATION_PREFIX }));
}
