/**
 * The public keys that verify a tenant's access tokens, one tenant at a time. There is no key set
 * of every tenant: `/.well-known/jwks.json` used to list every tenant's keys, and since key ids
 * start with the tenant it named every tenant to anyone who asked. A valid tenant id with no keys
 * gets an empty set, as an unknown one does.
 */
import { routePlugin, type Static, Type } from '@parley/kit';
import type { AuthComponents } from '../components.ts';
import { assertTenant, TenantParams } from './public-routes.ts';

// RFC 7517: the members Parley's keys carry are named; any other member a key has is passed on.
const JwkSchema = Type.Object(
  {
    kty: Type.String(),
    kid: Type.Optional(Type.String()),
    alg: Type.Optional(Type.String()),
    use: Type.Optional(Type.String()),
    crv: Type.Optional(Type.String()),
    x: Type.Optional(Type.String()),
    y: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const JwksSchema = Type.Object({ keys: Type.Array(JwkSchema) }, { description: "The tenant's key set" });

export const jwksRoutes = routePlugin<AuthComponents>((app, parts) => {
  app.get(
    '/tenants/:tenant/.well-known/jwks.json',
    { schema: { tags: ['jwks'], params: TenantParams, response: { 200: JwksSchema } } },
    async (request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      // jose types kty as optional; exportJWK always sets it (the schema says it is required).
      return (await parts.signingKeys.tenantJwks(assertTenant(request.params.tenant))) as Static<
        typeof JwksSchema
      >;
    },
  );
});
