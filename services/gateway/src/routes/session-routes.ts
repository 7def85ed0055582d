/**
 * `GET /api/v1/session`: who the token says the caller is (user, tenant, roles, session, expiry),
 * answered by the gateway itself from the verified token, with no call to any service: a client's
 * cheap "am I still signed in", and the benchmark's measure of the gateway's own hot path
 * (verification, tenant gate, rate limits, headers) with nothing behind it.
 */
import { type ServiceApp, Type } from '@parley/kit';
import { API_PREFIX, guardsFor, type ProxyContext } from './proxy-route.ts';

const SessionViewSchema = Type.Object({
  userId: Type.String(),
  tenant: Type.String(),
  roles: Type.Array(Type.String()),
  sessionId: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
});

export function registerSessionRoutes(app: ServiceApp, context: ProxyContext): void {
  app.get(
    `${API_PREFIX}/session`,
    {
      onRequest: guardsFor('user', context),
      schema: {
        operationId: 'getSession',
        tags: ['account'],
        summary: "The verified token's user, tenant, roles and session (no service is asked)",
        response: { 200: SessionViewSchema },
      } as never,
    },
    async (request) => {
      const claims = request.auth;
      if (!claims) throw new Error('session route without its token guard');
      return {
        userId: claims.sub,
        tenant: claims.tid,
        roles: claims.roles,
        sessionId: claims.sid,
        expiresAt: new Date(claims.exp * 1000).toISOString(),
      };
    },
  );
}
