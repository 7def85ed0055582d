/**
 * Routes for other Parley components, behind the service credential: the operator invites a
 * tenant's first admins here (idempotent per e-mail; see InternalInvitationRequestSchema), and
 * the gateway asks the display names of the people a members list names (ids only in, names only
 * out: no e-mail, role or status leaves here).
 */
import {
  InternalInvitationRequestSchema,
  InvitationResponseSchema,
  PeopleNamesRequestSchema,
  PeopleNamesSchema,
} from '@parley/contracts';
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

  const gateway = onlyCallers(parts.callers, ['gateway']);
  app.post(
    '/internal/tenants/:tenant/people/names',
    {
      onRequest: requireServiceCredential(gateway),
      schema: { params: TenantParams, body: PeopleNamesRequestSchema, response: { 200: PeopleNamesSchema } },
    },
    async (request) => {
      const c = await parts.store.forTenant(assertTenant(request.params.tenant));
      const users = await c.users
        .find({ _id: { $in: request.body.userIds } }, { projection: { _id: 1, displayName: 1 } })
        .toArray();
      return {
        people: users
          .filter((u) => typeof u.displayName === 'string' && u.displayName !== '')
          .map((u) => ({ userId: u._id, displayName: u.displayName })),
      };
    },
  );
});
