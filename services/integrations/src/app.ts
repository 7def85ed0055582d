/**
 * buildApp: the integrations service's Fastify instance (never listens; main.ts does, tests
 * inject). Every route is under /v1/tenants/:tenant for a tenant the operator's runtime record
 * serves, behind the gateway's service credential: a tenant admin's (acting-user headers, the
 * admin role), a bot's (its token, resolved here) and an incoming webhook's (its URL secret).
 */
import { appOptions, createServiceApp, guardScope, type ServiceApp } from '@parley/kit';
import { INTEGRATIONS_CALLERS, type IntegrationsComponents } from './components.ts';
import { botAdminRoutes } from './routes/bot-admin-routes.ts';
import { botRoutes } from './routes/bot-routes.ts';
import { incomingWebhookRoutes } from './routes/incoming-webhook-routes.ts';
import { outgoingWebhookRoutes } from './routes/outgoing-webhook-routes.ts';

export function buildApp(components: IntegrationsComponents): ServiceApp {
  const app = createServiceApp(appOptions('integrations', components));
  for (const metric of Object.values(components.metrics)) app.metricsRegistry.registerMetric(metric);
  app.register(
    async (scope) => {
      guardScope(scope, scope.serviceCredential({ allow: [...INTEGRATIONS_CALLERS] }));
      scope.addHook('preHandler', scope.servedTenant);
      const deps = { bots: components.bots, messaging: components.messaging };
      scope.register(botAdminRoutes, deps);
      scope.register(botRoutes, deps);
      scope.register(incomingWebhookRoutes, { webhooks: components.incomingWebhooks });
      scope.register(outgoingWebhookRoutes, {
        endpoints: components.webhookEndpoints,
        deliveries: components.webhookDeliveries,
        sender: components.webhookSender,
        deliverer: components.deliverer,
      });
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}
