/**
 * The pieces every service shares, each a Fastify plugin (fastify-plugin, so it decorates and
 * hooks the app it is registered on rather than a child scope): problem details, probes, metrics,
 * OpenAPI, and the service credential and tenant gate (service-credential.ts, tenant-gate.ts).
 *
 * createServiceApp applies each of them once, on the root, by calling the plugin at once
 * (`applyPlugin`) rather than through `app.register`: register defers a plugin to `ready()`,
 * while the error handler, the OpenAPI onRoute hook and the decorators must exist before the first
 * route is declared (a route keeps the error handler of the moment it was declared). A service
 * therefore never registers these itself; it passes their options to createServiceApp.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyPluginOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { installProblemHandlers } from './error-handler.ts';
import { installMethodNotAllowed } from './method-not-allowed.ts';
import { installMetrics } from './metrics.ts';
import { installOpenApi, type OpenApiOptions } from './openapi.ts';
import { installProbes, type ReadinessCheck } from './probes.ts';
import { installTextInputCheck } from './text-input.ts';

/** RFC 9457 answers for every error, 405 for a known path asked with another method, the text rule. */
export const problemDetails = fp<Record<never, never>>(
  (app, _options, done) => {
    installProblemHandlers(app);
    installMethodNotAllowed(app);
    installTextInputCheck(app);
    done();
  },
  { name: 'parley-problem-details', fastify: '5.x' },
);

/** `/health` and `/ready` (each check in parallel, 2 s each). */
export const probes = fp<{ checks: Record<string, ReadinessCheck> }>(
  (app, options, done) => {
    installProbes(app, options.checks);
    done();
  },
  { name: 'parley-probes', fastify: '5.x' },
);

/** `/metrics` and the HTTP duration histogram, in the app's own registry. */
export const metrics = fp<{ service: string; registry: Registry }>(
  (app, options, done) => {
    installMetrics(app, options.service, options.registry);
    done();
  },
  { name: 'parley-metrics', fastify: '5.x' },
);

/** The OpenAPI 3.1 document of every route at /documentation (openapi.ts). */
export const openApi = fp<OpenApiOptions>(
  (app, options, done) => {
    installOpenApi(app, options);
    done();
  },
  { name: 'parley-openapi', fastify: '5.x' },
);

/** Applies a callback-style plugin to `app` now (see the module comment for why not register). */
export function applyPlugin<O extends FastifyPluginOptions>(
  app: FastifyInstance,
  plugin: FastifyPluginCallback<O>,
  options: O,
): void {
  plugin(app, options, (error) => {
    if (error) throw error;
  });
}
