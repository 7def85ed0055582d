/**
 * The web client (web/, built by `npm run build` into web/dist/client) served at `/`.
 *
 * Vite names every asset after its content hash, so `/assets/*` may be cached for a year and marked
 * immutable: a new build has new names. `index.html` names the current assets, so it is revalidated
 * on every load (`no-cache`, with its ETag). The pages run only this origin's scripts and styles
 * and talk only to this origin (the API and, same-origin, the socket), so their
 * Content-Security-Policy allows `'self'` and nothing else: no inline script, no eval, no framing.
 * The routes live in their own encapsulated plugin, so the API keeps its stricter policy.
 * The app routes by the URL fragment (`/#/chat`), so no fallback route is needed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { ServiceApp } from '@parley/kit';
import type { FastifySchema } from 'fastify';

export const WEB_CLIENT_ROOT = fileURLToPath(new URL('../../../web/dist/client/', import.meta.url));

export const WEB_CLIENT_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** @fastify/swagger's flag: the pages are not part of the API's document. */
const HIDDEN_FROM_OPENAPI = { hide: true } as FastifySchema;
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function registerWebClient(app: ServiceApp, folder: string = WEB_CLIENT_ROOT): void {
  const root = folder.endsWith('/') ? folder : `${folder}/`;
  app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', WEB_CLIENT_CSP);
      return payload;
    });
    if (!existsSync(join(root, 'index.html'))) {
      // A gateway started before the build: say so instead of a bare 404.
      scope.get('/', { schema: HIDDEN_FROM_OPENAPI }, async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .header('cache-control', 'no-store')
          .send('The web client is not built yet: run `npm run build`, then restart the gateway.\n'),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false, // one route per built file, found at start: nothing else is served
      decorateReply: false, // kit's documentation UI already decorates the reply
      index: ['index.html'],
      cacheControl: false,
      schemaHide: true,
      setHeaders(reply, path) {
        reply.header('cache-control', path.includes('/assets/') ? IMMUTABLE : 'no-cache');
      },
    });
  });
}
