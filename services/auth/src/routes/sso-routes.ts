/**
 * Single sign-on with the tenant's OpenID provider: the two public steps of a sign-in (tenant in
 * the path, no token yet) and a tenant admin's provider settings (bearer, role admin). The client
 * secret goes in and never comes out.
 */
import { authOf, requireAccessToken } from '@parley/auth-client';
import {
  OidcProviderSettingsRequestSchema,
  OidcProviderSettingsSchema,
  SsoCallbackRequestSchema,
  SsoStartRequestSchema,
  SsoStartResponseSchema,
  TokenPairSchema,
} from '@parley/contracts';
import { problems, routePlugin, securedBy } from '@parley/kit';
import type { FastifyRequest } from 'fastify';
import type { AuthComponents } from '../components.ts';
import { settingsView, ssoNotConfigured } from '../domain/oidc-providers.ts';
import { TenantParams, usableTenant } from './public-routes.ts';
import { NoContent, requestContext } from './request-context.ts';

export const ssoRoutes = routePlugin<AuthComponents>((app, parts) => {
  app.post(
    '/tenants/:tenant/sso/oidc/start',
    {
      schema: {
        params: TenantParams,
        body: SsoStartRequestSchema,
        response: { 200: SsoStartResponseSchema },
      },
    },
    async (request) => {
      const c = await parts.store.forTenant(await usableTenant(parts, request.params.tenant));
      return parts.oidcSignIn.start(c, request.body.redirectUri);
    },
  );

  app.post(
    '/tenants/:tenant/sso/oidc/callback',
    { schema: { params: TenantParams, body: SsoCallbackRequestSchema, response: { 200: TokenPairSchema } } },
    async (request) => {
      const c = await parts.store.forTenant(await usableTenant(parts, request.params.tenant));
      return parts.oidcSignIn.callback(c, request.body, requestContext(request));
    },
  );

  const onRequest = securedBy('bearer', requireAccessToken(parts.authClient.verifier));
  const admin = async (request: FastifyRequest) => {
    const claims = authOf(request);
    await parts.tenantGate.assertServed(claims.tid);
    if (!claims.roles.includes('admin')) throw problems.forbidden('Only a tenant admin may do this');
    return { claims, c: await parts.store.forTenant(claims.tid) };
  };

  app.get(
    '/admin/sso/oidc',
    { onRequest, schema: { response: { 200: OidcProviderSettingsSchema } } },
    async (request) => {
      const { c } = await admin(request);
      const settings = await parts.oidcProviders.get(c);
      if (!settings) throw ssoNotConfigured();
      return settingsView(settings);
    },
  );

  app.put(
    '/admin/sso/oidc',
    {
      onRequest,
      schema: { body: OidcProviderSettingsRequestSchema, response: { 200: OidcProviderSettingsSchema } },
    },
    async (request) => {
      const { claims, c } = await admin(request);
      return parts.oidcProviders.configure(c, request.body, claims.sub, requestContext(request));
    },
  );

  app.delete(
    '/admin/sso/oidc',
    { onRequest, schema: { response: { 204: NoContent } } },
    async (request, reply) => {
      const { claims, c } = await admin(request);
      if (!(await parts.oidcProviders.remove(c, claims.sub, requestContext(request))))
        throw ssoNotConfigured();
      reply.status(204);
      return null;
    },
  );
});
