/** The public keys that verify access tokens: all tenants', and one tenant's. */
import type { ServiceApp } from '@parley/kit';
import type { AuthComponents } from '../components.ts';
import { assertTenant, TenantParams } from './public-routes.ts';

export function registerJwksRoutes(app: ServiceApp, parts: AuthComponents): void {
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return parts.signingKeys.jwks();
  });

  app.get(
    '/tenants/:tenant/.well-known/jwks.json',
    { schema: { params: TenantParams } },
    async (request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return parts.signingKeys.tenantJwks(assertTenant(request.params.tenant));
    },
  );
}
