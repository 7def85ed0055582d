/**
 * The public keys that verify a tenant's access tokens, one tenant at a time. There is no key set
 * of every tenant: `/.well-known/jwks.json` used to list every tenant's keys, and since key ids
 * start with the tenant it named every tenant to anyone who asked. A valid tenant id with no keys
 * gets an empty set, as an unknown one does.
 */
import type { ServiceApp } from '@parley/kit';
import type { AuthComponents } from '../components.ts';
import { assertTenant, TenantParams } from './public-routes.ts';

export function registerJwksRoutes(app: ServiceApp, parts: AuthComponents): void {
  app.get(
    '/tenants/:tenant/.well-known/jwks.json',
    { schema: { params: TenantParams } },
    async (request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return parts.signingKeys.tenantJwks(assertTenant(request.params.tenant));
    },
  );
}
