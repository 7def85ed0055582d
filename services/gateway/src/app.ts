/** buildApp: the gateway's Fastify app over its components. It never listens (main.ts does). */
import { createServiceApp, type Logger, type ReadinessCheck, type ServiceApp } from '@parley/kit';
import type { GatewayComponents } from './components.ts';
import { AuthPeopleNames } from './domain/people-names.ts';
import { auditHook } from './routes/audit-hook.ts';
import { registerAuthRoutes } from './routes/auth-routes.ts';
import { registerComplianceRoutes } from './routes/compliance-routes.ts';
import { registerIntegrationsRoutes } from './routes/integrations-routes.ts';
import { registerMediaRoutes } from './routes/media-routes.ts';
import { registerMessagingRoutes } from './routes/messaging-routes.ts';
import type { ProxyContext } from './routes/proxy-route.ts';
import { rateLimitHook } from './routes/rate-limits.ts';
import { registerScimRoutes } from './routes/scim-routes.ts';
import { registerSearchRoutes } from './routes/search-routes.ts';
import { registerSessionRoutes } from './routes/session-routes.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { installSocketForwarding } from './socket-forwarding.ts';
import { registerWebClient } from './web-client.ts';

export interface GatewayAppDependencies {
  logger: Logger;
  components: GatewayComponents;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
}

export function buildApp(deps: GatewayAppDependencies): ServiceApp {
  const app = createServiceApp({
    service: 'gateway',
    logger: deps.logger,
    readiness: deps.readiness ?? {},
    bodyLimitBytes: deps.bodyLimitBytes ?? 256 * 1024,
    version: '1.0.0',
    // request.ip (rate limits per address, audit) from X-Forwarded-For only behind these.
    trustProxy: deps.components.trustedProxies,
  });
  const parts = deps.components;
  installSecurityHeaders(app, parts.corsOrigins);
  app.addHook('onSend', auditHook(parts.audit));
  const context: ProxyContext = {
    verifier: parts.authClient.verifier,
    tenantGate: parts.tenantGate,
    hostTenants: parts.hostTenants,
    afterIdentified: [rateLimitHook(parts.rateLimiter, parts.rateLimits)],
  };
  registerSessionRoutes(app, context);
  registerAuthRoutes(app, context, parts.upstreams.auth);
  registerScimRoutes(app, context, parts.upstreams.auth);
  registerComplianceRoutes(app, context, parts.upstreams.compliance);
  registerMessagingRoutes(app, context, parts.messaging, new AuthPeopleNames(parts.upstreams.auth));
  registerSearchRoutes(app, context, parts.search);
  registerMediaRoutes(app, context, parts.media);
  registerIntegrationsRoutes(app, context, parts.upstreams.integrations);
  registerWebClient(app, parts.webClientDir);
  installSocketForwarding(app, parts.socketReplicas);
  return app;
}
