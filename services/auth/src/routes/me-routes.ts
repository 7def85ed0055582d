/** Routes for the signed-in user (bearer token; the tenant comes from the token only). */

import { authOf, requireAccessToken } from '@parley/auth-client';
import {
  ChangePasswordRequestSchema,
  ReauthenticationSchema,
  RecoveryCodesSchema,
  SessionSchema,
  TotpConfirmRequestSchema,
  TotpEnrolmentRequestSchema,
  TotpEnrolmentSchema,
  UserSchema,
} from '@parley/contracts';
import { routePlugin, securedBy, Type } from '@parley/kit';
import type { AuthComponents } from '../components.ts';
import { userView } from '../domain/accounts.ts';
import { NoContent, requestContext } from './request-context.ts';

export const meRoutes = routePlugin<AuthComponents>((app, parts) => {
  // Marked bearer, so the OpenAPI document says these routes take an access token.
  const onRequest = securedBy('bearer', requireAccessToken(parts.authClient.verifier));
  const signedIn = async (request: Parameters<typeof authOf>[0]) => {
    const claims = authOf(request);
    await parts.tenantGate.assertServed(claims.tid);
    const c = await parts.store.forTenant(claims.tid);
    const user = await parts.accounts.get(c, claims.sub);
    return { claims, c, user };
  };

  app.get('/me', { onRequest, schema: { response: { 200: UserSchema } } }, async (request) => {
    return userView((await signedIn(request)).user);
  });

  app.post('/logout', { onRequest, schema: { response: { 204: NoContent } } }, async (request, reply) => {
    const { claims, c } = await signedIn(request);
    await parts.sessions.revoke(
      c,
      { _id: claims.sid, userId: claims.sub },
      'logout',
      { type: 'user', id: claims.sub },
      requestContext(request),
    );
    return reply.status(204).send(null);
  });

  app.post(
    '/me/password',
    { onRequest, schema: { body: ChangePasswordRequestSchema, response: { 204: NoContent } } },
    async (request, reply) => {
      const { claims, c, user } = await signedIn(request);
      await parts.accounts.changePassword(
        c,
        user,
        request.body.currentPassword,
        request.body.newPassword,
        claims.sid,
        requestContext(request),
      );
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me/sessions',
    { onRequest, schema: { response: { 200: Type.Object({ sessions: Type.Array(SessionSchema) }) } } },
    async (request) => {
      const { claims, c } = await signedIn(request);
      return { sessions: await parts.sessions.list(c, claims.sub, claims.sid) };
    },
  );

  app.delete(
    '/me/sessions/:sessionId',
    {
      onRequest,
      schema: {
        params: Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      const { claims, c } = await signedIn(request);
      // Only one's own sessions: another user's id is "not found", not "forbidden".
      const session = await parts.sessions.findLive(c, request.params.sessionId, claims.sub);
      await parts.sessions.revoke(
        c,
        session,
        'user-revoked',
        { type: 'user', id: claims.sub },
        requestContext(request),
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/me/mfa/totp',
    { onRequest, schema: { body: TotpEnrolmentRequestSchema, response: { 200: TotpEnrolmentSchema } } },
    async (request) => {
      const { c, user } = await signedIn(request);
      return parts.mfa.enrol(c, user, request.body.password, requestContext(request));
    },
  );

  app.post(
    '/me/mfa/totp/confirm',
    { onRequest, schema: { body: TotpConfirmRequestSchema, response: { 200: RecoveryCodesSchema } } },
    async (request) => {
      const { c, user } = await signedIn(request);
      return parts.mfa.confirm(c, user, request.body.code, requestContext(request));
    },
  );

  app.post(
    '/me/mfa/totp/disable',
    { onRequest, schema: { body: ReauthenticationSchema, response: { 204: NoContent } } },
    async (request, reply) => {
      const { c, user } = await signedIn(request);
      await parts.mfa.disable(c, user, request.body, requestContext(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/me/mfa/recovery-codes',
    { onRequest, schema: { body: ReauthenticationSchema, response: { 200: RecoveryCodesSchema } } },
    async (request) => {
      const { c, user } = await signedIn(request);
      return parts.mfa.regenerateRecoveryCodes(c, user, request.body, requestContext(request));
    },
  );
});
