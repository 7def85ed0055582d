/**
 * buildApp: the messaging service's Fastify instance (never listens; main.ts does, tests inject).
 * Every route is internal: the service credential of the callers routes/route-callers.ts admits
 * per route (the gateway, the socket service, ...), the tenant in the path (served only while the
 * operator's runtime record says Ready: kit's tenant gate), and the verified user in the
 * acting-user headers.
 */
import { appOptions, createServiceApp, guardScope, type ServiceApp } from '@parley/kit';
import type { MessagingComponents } from './components.ts';
import { conversationRoutes } from './routes/conversation-routes.ts';
import { memberRoutes } from './routes/member-routes.ts';
import { messageRoutes } from './routes/message-routes.ts';
import { readRoutes } from './routes/read-routes.ts';
import { MESSAGING_ROUTE_CALLERS } from './routes/route-callers.ts';
import { searchFeedRoutes } from './routes/search-feed-routes.ts';

export { MESSAGING_CALLERS } from './routes/route-callers.ts';

export function buildApp(components: MessagingComponents): ServiceApp {
  const app = createServiceApp(appOptions('messaging', components));
  app.register(
    async (scope) => {
      guardScope(scope, scope.serviceCredential({ perRoute: true, routes: MESSAGING_ROUTE_CALLERS }));
      scope.addHook('preHandler', scope.servedTenant);
      const domain = components;
      scope.register(conversationRoutes, { domain });
      scope.register(memberRoutes, { domain });
      scope.register(messageRoutes, { domain });
      scope.register(readRoutes, { domain });
      scope.register(searchFeedRoutes, { domain });
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}
