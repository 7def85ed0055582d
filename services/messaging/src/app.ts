/**
 * buildApp: the messaging service's Fastify instance (never listens; main.ts does, tests inject).
 * Every route is internal: the service credential of the gateway (or the socket service), the
 * tenant in the path (served only while the operator's runtime record says Ready), and the
 * verified user in the acting-user headers.
 */
import {
  createServiceApp,
  guardScope,
  type Logger,
  type ReadinessCheck,
  requireServiceCredential,
  type ServiceApp,
  ServiceCallers,
} from '@parley/kit';
import type { MessagingComponents } from './components.ts';
import { conversationRoutes } from './routes/conversation-routes.ts';
import { memberRoutes } from './routes/member-routes.ts';
import { messageRoutes } from './routes/message-routes.ts';
import { readRoutes } from './routes/read-routes.ts';
import { MESSAGING_CALLERS, MESSAGING_ROUTE_CALLERS } from './routes/route-callers.ts';
import type { TenantGate } from './store/tenant-gate.ts';

export { MESSAGING_CALLERS } from './routes/route-callers.ts';

export interface MessagingAppDependencies {
  logger: Logger;
  components: MessagingComponents;
  tenantGate: TenantGate;
  /** The callers of SERVICE_TOKENS (those routes/route-callers.ts admits), or one token (tests). */
  serviceToken: string | ServiceCallers;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
}

export function buildApp(deps: MessagingAppDependencies): ServiceApp {
  const app = createServiceApp({
    service: 'messaging',
    logger: deps.logger,
    readiness: deps.readiness ?? {},
    bodyLimitBytes: deps.bodyLimitBytes ?? 256 * 1024,
  });
  const callers =
    deps.serviceToken instanceof ServiceCallers
      ? deps.serviceToken.only([...MESSAGING_CALLERS])
      : deps.serviceToken;
  app.register(
    async (scope) => {
      guardScope(
        scope,
        requireServiceCredential(callers, { perRoute: true, routes: MESSAGING_ROUTE_CALLERS }),
      );
      scope.addHook('preHandler', async (request) => {
        await deps.tenantGate.assertUsable((request.params as { tenant: string }).tenant);
      });
      const routes = scope as unknown as ServiceApp;
      conversationRoutes(routes, deps.components);
      memberRoutes(routes, deps.components);
      messageRoutes(routes, deps.components);
      readRoutes(routes, deps.components);
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}
