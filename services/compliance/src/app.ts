/**
 * buildApp: the compliance service's Fastify instance (never listens; main.ts does, tests inject).
 * Every route requires the service credential but one: the audit public keys (GET
 * /v1/audit/signing-keys), which a tenant must fetch without it; each admits only the services
 * routes/route-callers.ts names. Tenant routes live under
 * /v1/tenants/:tenant; platform routes (participant registration) under /v1.
 */
import {
  createServiceApp,
  guardScope,
  type Logger,
  type ReadinessCheck,
  requireServiceCredential,
  type ServiceApp,
  type ServiceCallers,
} from '@parley/kit';
import { ComplianceMetrics } from './domain/compliance-metrics.ts';
import { complianceProblem } from './domain/compliance-problems.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { gdprRoutes } from './routes/gdpr-routes.ts';
import { holdRoutes } from './routes/hold-routes.ts';
import { platformRoutes } from './routes/platform-routes.ts';
import { publicRoutes } from './routes/public-routes.ts';
import { retentionRoutes } from './routes/retention-routes.ts';
import { COMPLIANCE_ROUTE_CALLERS } from './routes/route-callers.ts';
import type { RouteDeps } from './routes/route-context.ts';
import { requestKind, type TenantGate } from './store/tenant-gate.ts';

export interface ComplianceAppDeps extends RouteDeps {
  logger: Logger;
  /** Refuses tenants the operator has not provisioned (see store/tenant-gate.ts). */
  tenantGate: TenantGate;
  /** The callers it accepts (SERVICE_TOKENS), or one token (tests). */
  serviceToken: string | ServiceCallers;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
}

export function buildApp(deps: ComplianceAppDeps): ServiceApp {
  const app = createServiceApp({
    service: 'compliance',
    logger: deps.logger,
    readiness: deps.readiness ?? {},
    // Export parts can be large; audit batches are at most 500 records.
    bodyLimitBytes: deps.bodyLimitBytes ?? 8 * 1024 * 1024,
  });
  // Domain counters in the app's registry, so /metrics serves them with kit's.
  const metrics = new ComplianceMetrics(app.metricsRegistry);
  deps.auditLogs.metrics = metrics;
  deps.gdpr.metrics = metrics;
  deps.retention.metrics = metrics;
  // Public keys only, outside the credential's scope (see routes/public-routes.ts).
  app.register(async (scope) => publicRoutes(scope as unknown as ServiceApp, deps), { prefix: '/v1' });
  app.register(
    async (scope) => {
      // guardScope: the hook, and the OpenAPI document told that every route here takes it.
      // Each route admits only the services named in routes/route-callers.ts (403 for the others).
      guardScope(
        scope,
        requireServiceCredential(deps.serviceToken, { perRoute: true, routes: COMPLIANCE_ROUTE_CALLERS }),
      );
      // Rethrown errors reach kit's handler, which writes the problem details.
      scope.setErrorHandler((error) => {
        throw complianceProblem(error) ?? error;
      });
      const scoped = scope as unknown as ServiceApp;
      platformRoutes(scoped, deps);
      scoped.register(
        async (tenantScope) => {
          tenantScope.addHook('preHandler', async (request) => {
            await deps.tenantGate.assertServed(
              (request.params as { tenant: string }).tenant,
              requestKind(request.method, request.routeOptions.url),
            );
          });
          const routes = tenantScope as unknown as ServiceApp;
          auditRoutes(routes, deps);
          gdprRoutes(routes, deps);
          holdRoutes(routes, deps);
          retentionRoutes(routes, deps);
        },
        { prefix: '/tenants/:tenant' },
      );
    },
    { prefix: '/v1' },
  );
  return app;
}
