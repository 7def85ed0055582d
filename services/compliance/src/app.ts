/**
 * buildApp: the compliance service's Fastify instance over its components (never listens;
 * main.ts does, tests inject). Every route requires the service credential but one: the audit
 * public keys (GET /v1/audit/signing-keys), which a tenant must fetch without it; each admits
 * only the services routes/route-callers.ts names. Tenant routes
 * live under /v1/tenants/:tenant behind the tenant gate (compliance's policy:
 * store/tenant-gate.ts); platform routes (participant registration) under /v1.
 */
import { appOptions, createServiceApp, guardScope, type ServiceApp } from '@parley/kit';
import type { ComplianceComponents } from './components.ts';
import { ComplianceMetrics } from './domain/compliance-metrics.ts';
import { complianceProblem } from './domain/compliance-problems.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { gdprRoutes } from './routes/gdpr-routes.ts';
import { holdRoutes } from './routes/hold-routes.ts';
import { platformRoutes } from './routes/platform-routes.ts';
import { publicRoutes } from './routes/public-routes.ts';
import { retentionRoutes } from './routes/retention-routes.ts';
import { COMPLIANCE_ROUTE_CALLERS } from './routes/route-callers.ts';

export function buildApp(components: ComplianceComponents): ServiceApp {
  // Export parts can be large; audit batches are at most 500 records.
  const app = createServiceApp({ bodyLimitBytes: 8 * 1024 * 1024, ...appOptions('compliance', components) });
  // Domain counters in the app's registry, so /metrics serves them with kit's.
  const metrics = new ComplianceMetrics(app.metricsRegistry);
  components.auditLogs.metrics = metrics;
  components.gdpr.metrics = metrics;
  components.retention.metrics = metrics;
  // Public keys only, outside the credential's scope (see routes/public-routes.ts).
  app.register(async (scope) => scope.register(publicRoutes, components), { prefix: '/v1' });
  app.register(
    async (scope) => {
      // guardScope: the hook, and the OpenAPI document told that every route here takes it.
      // Each route admits only the services named in routes/route-callers.ts (403 for the others).
      guardScope(scope, scope.serviceCredential({ perRoute: true, routes: COMPLIANCE_ROUTE_CALLERS }));
      // Rethrown errors reach kit's handler, which writes the problem details.
      scope.setErrorHandler((error) => {
        throw complianceProblem(error) ?? error;
      });
      scope.register(platformRoutes, components);
      scope.register(
        async (tenantScope) => {
          tenantScope.addHook('preHandler', tenantScope.servedTenant);
          tenantScope.register(auditRoutes, components);
          tenantScope.register(gdprRoutes, components);
          tenantScope.register(holdRoutes, components);
          tenantScope.register(retentionRoutes, components);
        },
        { prefix: '/tenants/:tenant' },
      );
    },
    { prefix: '/v1' },
  );
  return app;
}
