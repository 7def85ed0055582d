/**
 * A known path asked with a method it does not serve answers 405 with `Allow` (RFC 9110 15.5.6),
 * not 404: the resource exists. Checked in onRequest, before Fastify would parse a body for the
 * not-found route (a QUERY without a content type answered 400 otherwise).
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { ProblemError } from '../problem.ts';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function installMethodNotAllowed(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) return done();
    const path = request.url.split('?')[0] as string;
    const allowed = METHODS.filter(
      (method) => method !== request.method && app.findRoute({ method, url: path }),
    );
    if (allowed.length === 0) return done();
    reply.header('allow', allowed.join(', '));
    const detail = `${request.method} is not served at this path; ${allowed.join(', ')} are`;
    done(new ProblemError(405, 'method-not-allowed', 'Method not allowed', detail));
  });
}
