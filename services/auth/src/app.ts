/** buildApp: the auth service's Fastify app over its components. It never listens (main.ts does). */
import {
  createServiceApp,
  type Logger,
  type ReadinessCheck,
  type ServiceApp,
  ServiceCallers,
} from '@parley/kit';
import type { AuthComponents } from './components.ts';
import { registerAdminRoutes } from './routes/admin-routes.ts';
import { registerInternalRoutes } from './routes/internal-routes.ts';
import { registerJwksRoutes } from './routes/jwks-routes.ts';
import { registerMeRoutes } from './routes/me-routes.ts';
import { registerPublicRoutes } from './routes/public-routes.ts';
import { resolveClientAddress } from './routes/request-context.ts';

export interface AuthAppDependencies {
  logger: Logger;
  components: AuthComponents;
  /**
   * Who may call: the callers of SERVICE_TOKENS, of which only the operator opens /internal and
   * only the gateway's forwarded client address is believed. A bare token (tests) passes both.
   */
  serviceToken: string | ServiceCallers;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
}

export function buildApp(deps: AuthAppDependencies): ServiceApp {
  const app = createServiceApp({
    service: 'auth',
    logger: deps.logger,
    readiness: deps.readiness ?? {},
    bodyLimitBytes: deps.bodyLimitBytes ?? 64 * 1024,
  });
  const only = (names: string[]) =>
    deps.serviceToken instanceof ServiceCallers ? deps.serviceToken.only(names) : deps.serviceToken;
  app.addHook('onRequest', resolveClientAddress(only(['gateway'])));
  registerJwksRoutes(app, deps.components);
  registerPublicRoutes(app, deps.components);
  registerMeRoutes(app, deps.components);
  registerAdminRoutes(app, deps.components);
  registerInternalRoutes(app, deps.components, only(['operator']));
  return app;
}
