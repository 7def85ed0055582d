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
import { scimRoutes, scimTokenRoutes } from './routes/scim-routes.ts';
import { ssoRoutes } from './routes/sso-routes.ts';

export function buildApp(components: AuthComponents): ServiceApp {
  const app = createServiceApp({ bodyLimitBytes: 64 * 1024, ...appOptions('auth', components) });
  app.addHook('onRequest', resolveClientAddress(onlyCallers(components.callers, ['gateway'])));
  // Every route under /v1, as in every service: a breaking change to the API gets /v2 beside it.
  // The probes, /metrics and /documentation stay at the root (kit's, not the API's).
  app.register(
    async (v1) => {
      v1.register(jwksRoutes, components);
      v1.register(publicRoutes, components);
      v1.register(meRoutes, components);
      v1.register(adminRoutes, components);
      v1.register(ssoRoutes, components);
      v1.register(scimRoutes, components);
      v1.register(scimTokenRoutes, components);
      v1.register(internalRoutes, components);
    },
    { prefix: '/v1' },
  );
  return app;
}
