/**
 * buildApp: the search service's Fastify instance (never listens; main.ts does, tests inject).
 * Every route under /v1/tenants/:tenant takes the gateway's service credential and a tenant the
 * operator's runtime record serves.
 */
import { appOptions, createServiceApp, guardScope, type ServiceApp } from '@parley/kit';
import { SEARCH_CALLERS, type SearchComponents } from './components.ts';
import { searchRoutes } from './routes/search-routes.ts';

export function buildApp(components: SearchComponents): ServiceApp {
  const app = createServiceApp(appOptions('search', components));
  // The indexing metrics next to the HTTP ones on /metrics.
  for (const metric of Object.values(components.metrics)) app.metricsRegistry.registerMetric(metric);
  app.register(
    async (scope) => {
      guardScope(scope, scope.serviceCredential({ allow: [...SEARCH_CALLERS] }));
      scope.addHook('preHandler', scope.servedTenant);
      scope.register(searchRoutes, { search: components.search });
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}
