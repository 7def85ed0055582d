/**
 * Security headers (@fastify/helmet) and CORS (@fastify/cors) for the public door.
 *
 * The API answers JSON only, so its Content-Security-Policy forbids everything (`default-src
 * 'none'`, no framing). The documentation UI (kit's @fastify/swagger-ui at /documentation) runs
 * its own scripts and styles, so its pages get a policy that allows this origin's and nothing else.
 *
 * CORS admits only the deployment's allow-list (CORS_ORIGINS); an empty list admits no browser
 * origin. Credentials are bearer tokens in a header, never cookies, so `credentials` stays off.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import { DOCUMENTATION_PREFIX, type ServiceApp } from '@parley/kit';

const DOCUMENTATION_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

export function installSecurityHeaders(app: ServiceApp, corsOrigins: string[]): void {
  app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    // Cross-origin API calls from the allowed origins must be able to read answers.
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.url.startsWith(DOCUMENTATION_PREFIX)) {
      reply.header('content-security-policy', DOCUMENTATION_CSP);
    }
    done(null, payload);
  });
  app.register(cors, {
    origin: corsOrigins.length > 0 ? corsOrigins : false,
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'idempotency-key'],
    exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy', 'content-disposition'],
    maxAge: 600,
  });
}
