/**
 * buildApp: the media service's Fastify instance (never listens; main.ts does, tests inject or
 * listen on a port of their own).
 */
import { appOptions, createServiceApp, type ServiceApp } from '@parley/kit';
import type { MediaComponents } from './components.ts';
import { attachmentNameRoutes } from './routes/attachment-name-routes.ts';
import { attachmentRoutes } from './routes/attachment-routes.ts';
import { mediaRoutes } from './routes/media-routes.ts';

export function buildApp(components: MediaComponents): ServiceApp {
  const app = createServiceApp(appOptions('media', components));
  const routes = mediaRoutes(components);
  app.register(async (scope) => routes(scope as unknown as ServiceApp), { prefix: '/v1' });
  const attachments = attachmentRoutes(components);
  app.register(async (scope) => attachments(scope as unknown as ServiceApp), { prefix: '/v1' });
  const names = attachmentNameRoutes(components);
  app.register(async (scope) => names(scope as unknown as ServiceApp), { prefix: '/v1' });
  return app;
}
