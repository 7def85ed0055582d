/**
 * buildApp: the notifier's Fastify instance (never listens; main.ts does, tests inject). Its
 * work is the consumer (components.workers); its routes are a tenant admin's, through the gateway
 * only, under /v1/tenants/:tenant for a tenant the operator's runtime record serves.
 */
import { appOptions, createServiceApp, guardScope, type ServiceApp } from '@parley/kit';
import { NOTIFIER_CALLERS, type NotifierComponents } from './components.ts';
import { mailAdminRoutes } from './routes/mail-admin-routes.ts';

export function buildApp(components: NotifierComponents): ServiceApp {
  const app = createServiceApp(appOptions('notifier', components));
  // The mail metrics next to the HTTP ones on /metrics.
  for (const metric of Object.values(components.metrics)) app.metricsRegistry.registerMetric(metric);
  app.register(
    async (scope) => {
      guardScope(scope, scope.serviceCredential({ allow: [...NOTIFIER_CALLERS] }));
      scope.addHook('preHandler', scope.servedTenant);
      scope.register(mailAdminRoutes, { brandings: components.brandings, deliveries: components.deliveries });
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}
