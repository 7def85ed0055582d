/**
 * Routes before a token exists: login (password, then MFA), refresh, open sign-up (request, then
 * the link's verification), accepting an invitation and password reset (request, then the link's
 * confirmation with a new password). The tenant is named in the path.
 */
import {
  AcceptInvitationRequestSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  MfaLoginRequestSchema,
  PasswordResetAcceptedSchema,
  PasswordResetConfirmSchema,
  PasswordResetRequestSchema,
  RefreshRequestSchema,
  SignUpAcceptedSchema,
  SignUpRequestSchema,
  SignUpVerificationRequestSchema,
  TokenPairSchema,
  UserSchema,
} from '@parley/contracts';
import { ProblemError, problems, routePlugin, Type } from '@parley/kit';
import { isTenantId, TenantIdSchema } from '@parley/tenancy';
import type { AuthComponents } from '../components.ts';
import { userView } from '../domain/accounts.ts';
import type { TenantCollections } from '../store/tenant-store.ts';
import { requestContext } from './request-context.ts';

export const TenantParams = Type.Object({ tenant: TenantIdSchema });

export function assertTenant(tenant: string): string {
  if (!isTenantId(tenant)) throw problems.badRequest('Unknown tenant');
  return tenant;
}

/** A tenant named in the path that exists and is not suspended. */
export async function usableTenant(parts: AuthComponents, tenant: string): Promise<string> {
  await parts.tenantGate.assertServed(assertTenant(tenant));
  return tenant;
}

/** A usable tenant whose admins opened sign-up (checked again when the link comes back). */
async function openSignUpTenant(parts: AuthComponents, tenant: string): Promise<TenantCollections> {
  const c = await parts.store.forTenant(await usableTenant(parts, tenant));
  const settings = await c.settings.findOne({ _id: 'auth' });
  if (!settings?.openSignUp) {
    throw new ProblemError(
      403,
      'sign-up-closed',
      'Sign-up closed',
      'This tenant admits users by invitation only',
    );
  }
  return c;
}

export const publicRoutes = routePlugin<AuthComponents>((app, parts) => {
  app.post(
    '/tenants/:tenant/login',
    { schema: { params: TenantParams, body: LoginRequestSchema, response: { 200: LoginResponseSchema } } },
    async (request) => {
      const tenant = await usableTenant(parts, request.params.tenant);
      return parts.login.withPassword(
        tenant,
        request.body.email,
        request.body.password,
        requestContext(request),
      );
    },
  );

  app.post(
    '/tenants/:tenant/login/mfa',
    { schema: { params: TenantParams, body: MfaLoginRequestSchema, response: { 200: TokenPairSchema } } },
    async (request) => {
      const tenant = await usableTenant(parts, request.params.tenant);
      const { challenge, ...answer } = request.body;
      return parts.login.withSecondFactor(tenant, challenge, answer, requestContext(request));
    },
  );

  app.post(
    '/tenants/:tenant/token',
    { schema: { params: TenantParams, body: RefreshRequestSchema, response: { 200: TokenPairSchema } } },
    async (request) => {
      const tenant = await usableTenant(parts, request.params.tenant);
      return parts.sessions.refresh(tenant, request.body.refreshToken, requestContext(request));
    },
  );

  // Open sign-up answers 202 and the same body whether or not the address has an account (see
  // domain/open-sign-up.ts): the account exists once the link sent to the address comes back.
  app.post(
    '/tenants/:tenant/sign-up',
    { schema: { params: TenantParams, body: SignUpRequestSchema, response: { 202: SignUpAcceptedSchema } } },
    async (request, reply) => {
      const c = await openSignUpTenant(parts, request.params.tenant);
      const accepted = await parts.signUp.request(c, request.body, requestContext(request));
      reply.status(202);
      return accepted;
    },
  );

  app.post(
    '/tenants/:tenant/sign-up/verify',
    {
      schema: {
        params: TenantParams,
        body: SignUpVerificationRequestSchema,
        response: { 201: UserSchema },
      },
    },
    async (request, reply) => {
      const c = await openSignUpTenant(parts, request.params.tenant);
      const user = await parts.signUp.verify(c, request.body.token, requestContext(request));
      reply.status(201);
      return userView(user);
    },
  );

  // Password reset answers 202 and the same body whether or not the address has an account (see
  // domain/password-reset.ts): only an account's address is mailed a link.
  app.post(
    '/tenants/:tenant/password-reset',
    {
      schema: {
        params: TenantParams,
        body: PasswordResetRequestSchema,
        response: { 202: PasswordResetAcceptedSchema },
      },
    },
    async (request, reply) => {
      const c = await parts.store.forTenant(await usableTenant(parts, request.params.tenant));
      const accepted = await parts.passwordReset.request(c, request.body.email, requestContext(request));
      reply.status(202);
      return accepted;
    },
  );

  app.post(
    '/tenants/:tenant/password-reset/confirm',
    { schema: { params: TenantParams, body: PasswordResetConfirmSchema, response: { 204: Type.Null() } } },
    async (request, reply) => {
      const c = await parts.store.forTenant(await usableTenant(parts, request.params.tenant));
      await parts.passwordReset.confirm(
        c,
        request.body.token,
        request.body.password,
        requestContext(request),
      );
      reply.status(204);
      return null;
    },
  );

  app.post(
    '/tenants/:tenant/invitations/accept',
    { schema: { params: TenantParams, body: AcceptInvitationRequestSchema, response: { 201: UserSchema } } },
    async (request, reply) => {
      const c = await parts.store.forTenant(await usableTenant(parts, request.params.tenant));
      const invitation = await parts.invitations.redeemable(c, request.body.token);
      const user = await parts.accounts.fromInvitation(
        c,
        invitation,
        request.body.password,
        request.body.displayName,
        requestContext(request),
      );
      await parts.invitations.markAccepted(c, invitation, user._id);
      reply.status(201);
      return userView(user);
    },
  );
});
