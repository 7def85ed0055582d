/** A tenant admin's routes: invitations, users, their sessions, the tenant's sign-up setting. */

import { authOf, requireAccessToken } from '@parley/auth-client';
import {
  InvitationRequestSchema,
  InvitationResponseSchema,
  TenantAuthSettingsSchema,
  UpdateUserRequestSchema,
  UserSchema,
} from '@parley/contracts';
import { problems, routePlugin, securedBy, Type } from '@parley/kit';
import type { FastifyRequest } from 'fastify';
import type { AuthComponents } from '../components.ts';
import { requestContext } from './request-context.ts';

const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 64 }) });

export const adminRoutes = routePlugin<AuthComponents>((app, parts) => {
  // Marked bearer, so the OpenAPI document says these routes take an access token.
  const onRequest = securedBy('bearer', requireAccessToken(parts.authClient.verifier));
  const admin = async (request: FastifyRequest) => {
    const claims = authOf(request);
    await parts.tenantGate.assertServed(claims.tid);
    if (!claims.roles.includes('admin')) throw problems.forbidden('Only a tenant admin may do this');
    return { claims, c: await parts.store.forTenant(claims.tid) };
  };

  app.post(
    '/admin/invitations',
    {
      onRequest,
      schema: {
        body: InvitationRequestSchema,
        response: { 200: InvitationResponseSchema, 201: InvitationResponseSchema },
      },
    },
    async (request, reply) => {
      const { claims, c } = await admin(request);
      const result = await parts.invitations.invite(
        c,
        request.body.email,
        request.body.roles,
        claims.sub,
        requestContext(request),
      );
      reply.status(result.state === 'invited' ? 201 : 200);
      return result;
    },
  );

  app.get(
    '/admin/users',
    { onRequest, schema: { response: { 200: Type.Object({ users: Type.Array(UserSchema) }) } } },
    async (request) => {
      const { c } = await admin(request);
      return { users: await parts.accounts.list(c) };
    },
  );

  app.patch(
    '/admin/users/:userId',
    {
      onRequest,
      schema: { params: UserParams, body: UpdateUserRequestSchema, response: { 200: UserSchema } },
    },
    async (request) => {
      const { claims, c } = await admin(request);
      return parts.accounts.update(
        c,
        request.params.userId,
        request.body,
        { type: 'user', id: claims.sub },
        requestContext(request),
      );
    },
  );

  // Deletion anonymises the account (a tombstone keeps its id) and removes sessions, refresh-token
  // families, MFA secrets and recovery codes; refused with 409 legal-hold while a hold covers the
  // person or the tenant.
  app.delete(
    '/admin/users/:userId',
    {
      onRequest,
      schema: {
        params: UserParams,
        response: {
          200: Type.Object({
            deleted: Type.Literal(true),
            counts: Type.Record(Type.String(), Type.Integer()),
          }),
        },
      },
    },
    async (request) => {
      const { claims, c } = await admin(request);
      await parts.accounts.get(c, request.params.userId);
      const result = await parts.deletion.delete(
        c,
        request.params.userId,
        { type: 'user', id: claims.sub },
        'admin-deletion',
        requestContext(request),
      );
      return { deleted: true as const, counts: result.counts };
    },
  );

  app.delete(
    '/admin/users/:userId/sessions',
    {
      onRequest,
      schema: { params: UserParams, response: { 200: Type.Object({ revoked: Type.Integer() }) } },
    },
    async (request) => {
      const { claims, c } = await admin(request);
      await parts.accounts.get(c, request.params.userId);
      const revoked = await parts.sessions.revokeAll(
        c,
        request.params.userId,
        'admin-revoked',
        { type: 'user', id: claims.sub },
        requestContext(request),
      );
      return { revoked };
    },
  );

  app.put(
    '/admin/settings',
    { onRequest, schema: { body: TenantAuthSettingsSchema, response: { 200: TenantAuthSettingsSchema } } },
    async (request) => {
      const { c } = await admin(request);
      await c.settings.updateOne(
        { _id: 'auth' },
        { $set: { openSignUp: request.body.openSignUp, updatedAt: new Date() } },
        { upsert: true },
      );
      return { openSignUp: request.body.openSignUp };
    },
  );
});
