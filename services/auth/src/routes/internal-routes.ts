/**
 * Routes for other Parley components, behind the service credential: the operator invites a
 * tenant's first admins here (idempotent per e-mail; see InternalInvitationRequestSchema).
 */
import { InternalInvitationRequestSchema, InvitationResponseSchema } from '@parley/contracts';
import { onlyCallers, requireServiceCredential, routePlugin } from '@parley/kit';
import type { AuthComponents } from '../components.ts';
import { assertTenant, TenantParams } from './public-routes.ts';
import { requestContext } from './request-context.ts';

export const internalRoutes = routePlugin<AuthComponents>((app, parts) => {
  // Only the operator's credential counts as one here: any other is refused as none (401).
  const operator = onlyCallers(parts.callers, ['operator']);
  app.post(
    '/internal/tenants/:tenant/invitations',
    {
      onRequest: requireServiceCredential(operator),
      schema: {
        params: TenantParams,
        body: InternalInvitationRequestSchema,
        response: { 200: InvitationResponseSchema, 201: InvitationResponseSchema },
      },
    },
    async (request, reply) => {
      const c = await parts.store.forTenant(assertTenant(request.params.tenant));
      const { email, roles, invitedBy, reissue } = request.body;
      const result = await parts.invitations.invite(
        c,
        email,
        roles,
        invitedBy ?? 'operator',
        requestContext(request),
        {
          reissue: reissue ?? false,
        },
      );
      reply.status(result.state === 'invited' ? 201 : 200);
      return result;
    },
  );
});
