/**
 * buildApp: the auth service's Fastify app over its components. It never listens (main.ts does).
 * Each route file is a plugin; the service credential and the tenant gate are kit's shared
 * plugins (only the operator opens /internal; only the gateway's forwarded client address is
 * believed; a bare token in tests passes both).
 */
import { appOptions, createServiceApp, onlyCallers, type ServiceApp } from '@parley/kit';
import type { AuthComponents } from './components.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { internalRoutes } from './routes/internal-routes.ts';
import { jwksRoutes } from './routes/jwks-routes.ts';
import { meRoutes } from './routes/me-routes.ts';
import { publicRoutes } from './routes/public-routes.ts';
import { resolveClientAddress } from './routes/request-context.ts';

export function buildApp(components: AuthComponents): ServiceApp {
  const app = createServiceApp({ bodyLimitBytes: 64 * 1024, ...appOptions('auth', components) });
  app.addHook('onRequest', resolveClientAddress(onlyCallers(components.callers, ['gateway'])));
  app.register(jwksRoutes, components);
  app.register(publicRoutes, components);
  app.register(meRoutes, components);
  app.register(adminRoutes, components);
  app.register(internalRoutes, components);
  return app;
}
