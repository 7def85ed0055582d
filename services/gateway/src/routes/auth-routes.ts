/**
 * The auth service's public capabilities through the gateway: sign-in (password, then MFA),
 * refresh, open sign-up and its verification, accepting an invitation, password reset and its
 * confirmation (tenant from the path or the host), and, with a token, logout, the profile, password, sessions and MFA; for tenant
 * admins, invitations, users and the sign-up setting. The auth service verifies the forwarded
 * token again and checks the admin role itself.
 */
import {
  AcceptInvitationRequestSchema,
  ChangePasswordRequestSchema,
  InvitationRequestSchema,
  InvitationResponseSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  MfaLoginRequestSchema,
  OidcProviderSettingsRequestSchema,
  OidcProviderSettingsSchema,
  PasswordResetAcceptedSchema,
  PasswordResetConfirmSchema,
  PasswordResetRequestSchema,
  ReauthenticationSchema,
  RecoveryCodesSchema,
  RefreshRequestSchema,
  SessionSchema,
  SignUpAcceptedSchema,
  SignUpRequestSchema,
  SignUpVerificationRequestSchema,
  SsoCallbackRequestSchema,
  SsoStartRequestSchema,
  SsoStartResponseSchema,
  TenantAuthSettingsSchema,
  TokenPairSchema,
  TotpConfirmRequestSchema,
  TotpEnrolmentRequestSchema,
  TotpEnrolmentSchema,
  UpdateUserRequestSchema,
  UserSchema,
} from '@parley/contracts';
import { type ServiceApp, Type } from '@parley/kit';
import type { ServiceHttp } from '@parley/service-http';
import { TenantIdSchema } from '@parley/tenancy';
import { type ProxyContext, type ProxyRouteDefinition, registerProxyRoute } from './proxy-route.ts';

export const NoContent = Type.Null({ description: 'Done; no content' });
const TenantParams = Type.Object({ tenant: TenantIdSchema });
const SessionParams = Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 64 }) });
const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 64 }) });

/** Sign-in and sign-up: each once with the tenant in the path, once with it from the host. */
const publicRoutes: {
  path: string;
  name: string;
  summary: string;
  body: unknown;
  response: Record<number, unknown>;
}[] = [
  {
    path: '/login',
    name: 'signIn',
    summary: 'Signs in with e-mail and password: a token pair, or an MFA challenge to answer',
    body: LoginRequestSchema,
    response: { 200: LoginResponseSchema },
  },
  {
    path: '/login/mfa',
    name: 'signInWithSecondFactor',
    summary: "Answers a sign-in's MFA challenge with a TOTP code or a recovery code",
    body: MfaLoginRequestSchema,
    response: { 200: TokenPairSchema },
  },
  {
    path: '/token',
    name: 'refreshTokens',
    summary: 'Exchanges a refresh token for a new pair (the refresh token rotates)',
    body: RefreshRequestSchema,
    response: { 200: TokenPairSchema },
  },
  {
    path: '/sign-up',
    name: 'signUp',
    summary: 'Asks for an account where the tenant allows open sign-up (a link is mailed)',
    body: SignUpRequestSchema,
    response: { 202: SignUpAcceptedSchema },
  },
  {
    path: '/sign-up/verify',
    name: 'verifySignUp',
    summary: 'Finishes an open sign-up with the token from the link',
    body: SignUpVerificationRequestSchema,
    response: { 201: UserSchema },
  },
  {
    path: '/invitations/accept',
    name: 'acceptInvitation',
    summary: 'Accepts an invitation: the account is created with the password given',
    body: AcceptInvitationRequestSchema,
    response: { 201: UserSchema },
  },
  {
    path: '/password-reset',
    name: 'requestPasswordReset',
    summary:
      'Asks for a password reset link by mail (the same answer whether or not the address has an account)',
    body: PasswordResetRequestSchema,
    response: { 202: PasswordResetAcceptedSchema },
  },
  {
    path: '/password-reset/confirm',
    name: 'confirmPasswordReset',
    summary: "Sets a new password with the reset link's token (once); every session of the account ends",
    body: PasswordResetConfirmSchema,
    response: { 204: NoContent },
  },
  {
    path: '/sso/oidc/start',
    name: 'startSingleSignOn',
    summary:
      "Starts single sign-on with the tenant's OpenID provider: the URL to send the browser to (code flow with PKCE)",
    body: SsoStartRequestSchema,
    response: { 200: SsoStartResponseSchema },
  },
  {
    path: '/sso/oidc/callback',
    name: 'finishSingleSignOn',
    summary: "Finishes single sign-on with the provider's answer (code, state, iss): a token pair",
    body: SsoCallbackRequestSchema,
    response: { 200: TokenPairSchema },
  },
];

export function registerAuthRoutes(app: ServiceApp, context: ProxyContext, auth: ServiceHttp): void {
  for (const route of publicRoutes) {
    registerProxyRoute(app, context, {
      method: 'POST',
      url: `/tenants/:tenant${route.path}`,
      operationId: route.name,
      tags: ['sign-in'],
      summary: route.summary,
      schema: { params: TenantParams, body: route.body, response: route.response } as never,
      access: 'tenant-path',
      upstream: auth,
      target: ({ tenant, body }) => ({ path: `/v1/tenants/${tenant}${route.path}`, body }),
    });
    registerProxyRoute(app, context, {
      method: 'POST',
      url: route.path,
      operationId: `${route.name}ByHost`,
      tags: ['sign-in'],
      summary: `${route.summary} (the tenant from the host name)`,
      schema: { body: route.body, response: route.response } as never,
      access: 'tenant-host',
      upstream: auth,
      target: ({ tenant, body }) => ({ path: `/v1/tenants/${tenant}${route.path}`, body }),
    });
  }

  const signedIn: Omit<ProxyRouteDefinition, 'method' | 'url' | 'operationId' | 'summary' | 'schema'> = {
    tags: ['account'],
    access: 'user',
    upstream: auth,
    target: () => {
      throw new Error('replaced below');
    },
  };
  const same = (path: string) => () => ({ path: `/v1${path}`, bearer: true });
  const withBody =
    (path: string) =>
    ({ body }: { body: unknown }) => ({ path: `/v1${path}`, body, bearer: true });
  const account: ProxyRouteDefinition[] = [
    {
      ...signedIn,
      method: 'GET',
      url: '/me',
      operationId: 'getProfile',
      summary: "The signed-in user's profile",
      schema: { response: { 200: UserSchema } },
      target: same('/me'),
    },
    {
      ...signedIn,
      method: 'POST',
      url: '/logout',
      operationId: 'signOut',
      summary: "Ends this token's session (its access tokens are refused everywhere at once)",
      schema: { response: { 204: NoContent } },
      target: same('/logout'),
    },
    {
      ...signedIn,
      method: 'POST',
      url: '/me/password',
      operationId: 'changePassword',
      summary: 'Changes the password (other sessions end)',
      schema: { body: ChangePasswordRequestSchema, response: { 204: NoContent } },
      target: withBody('/me/password'),
    },
    {
      ...signedIn,
      method: 'GET',
      url: '/me/sessions',
      operationId: 'listSessions',
      summary: "The user's live sessions",
      schema: { response: { 200: Type.Object({ sessions: Type.Array(SessionSchema) }) } },
      target: same('/me/sessions'),
    },
    {
      ...signedIn,
      method: 'DELETE',
      url: '/me/sessions/:sessionId',
      operationId: 'revokeSession',
      summary: "Ends one of the user's own sessions",
      schema: { params: SessionParams, response: { 204: NoContent } },
      target: ({ params }) => ({
        path: `/v1/me/sessions/${encodeURIComponent(params.sessionId ?? '')}`,
        bearer: true,
      }),
    },
    {
      ...signedIn,
      method: 'POST',
      url: '/me/mfa/totp',
      operationId: 'enrolTotp',
      summary: 'Starts TOTP enrolment (the password again)',
      schema: { body: TotpEnrolmentRequestSchema, response: { 200: TotpEnrolmentSchema } },
      target: withBody('/me/mfa/totp'),
    },
    {
      ...signedIn,
      method: 'POST',
      url: '/me/mfa/totp/confirm',
      operationId: 'confirmTotp',
      summary: 'Confirms TOTP enrolment with a first code: recovery codes, shown once',
      schema: { body: TotpConfirmRequestSchema, response: { 200: RecoveryCodesSchema } },
      target: withBody('/me/mfa/totp/confirm'),
    },
    {
      ...signedIn,
      method: 'POST',
      url: '/me/mfa/totp/disable',
      operationId: 'disableTotp',
      summary: 'Turns MFA off (after reauthentication)',
      schema: { body: ReauthenticationSchema, response: { 204: NoContent } },
      target: withBody('/me/mfa/totp/disable'),
    },
    {
      ...signedIn,
      method: 'POST',
      url: '/me/mfa/recovery-codes',
      operationId: 'regenerateRecoveryCodes',
      summary: 'New recovery codes (the old ones stop working)',
      schema: { body: ReauthenticationSchema, response: { 200: RecoveryCodesSchema } },
      target: withBody('/me/mfa/recovery-codes'),
    },
  ];

  const admin = { ...signedIn, tags: ['users'], access: ['admin'] as const };
  const users: ProxyRouteDefinition[] = [
    {
      ...admin,
      method: 'POST',
      url: '/admin/invitations',
      operationId: 'inviteUser',
      summary: 'Invites a person by e-mail with roles (201 invited, 200 already a member)',
      schema: {
        body: InvitationRequestSchema,
        response: { 200: InvitationResponseSchema, 201: InvitationResponseSchema },
      },
      target: withBody('/admin/invitations'),
    },
    {
      ...admin,
      method: 'GET',
      url: '/admin/users',
      operationId: 'listUsers',
      summary: "The tenant's users",
      schema: { response: { 200: Type.Object({ users: Type.Array(UserSchema) }) } },
      target: same('/admin/users'),
    },
    {
      ...admin,
      method: 'PATCH',
      url: '/admin/users/:userId',
      operationId: 'updateUser',
      summary: "Changes a user's roles or status",
      schema: { params: UserParams, body: UpdateUserRequestSchema, response: { 200: UserSchema } },
      target: ({ params, body }) => ({ path: `/v1/admin/users/${enc(params.userId)}`, body, bearer: true }),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/admin/users/:userId',
      operationId: 'deleteUser',
      summary: 'Deletes (anonymises) a user; refused under a legal hold',
      schema: {
        params: UserParams,
        response: {
          200: Type.Object({
            deleted: Type.Literal(true),
            counts: Type.Record(Type.String(), Type.Integer()),
          }),
        },
      },
      target: ({ params }) => ({ path: `/v1/admin/users/${enc(params.userId)}`, bearer: true }),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/admin/users/:userId/sessions',
      operationId: 'revokeUserSessions',
      summary: 'Ends every session of a user',
      schema: { params: UserParams, response: { 200: Type.Object({ revoked: Type.Integer() }) } },
      target: ({ params }) => ({ path: `/v1/admin/users/${enc(params.userId)}/sessions`, bearer: true }),
    },
    {
      ...admin,
      method: 'PUT',
      url: '/admin/settings',
      operationId: 'updateAuthSettings',
      summary: 'Opens or closes sign-up for the tenant',
      schema: { body: TenantAuthSettingsSchema, response: { 200: TenantAuthSettingsSchema } },
      target: withBody('/admin/settings'),
    },
    {
      ...admin,
      method: 'GET',
      url: '/admin/sso/oidc',
      operationId: 'getSingleSignOn',
      summary: "The tenant's OpenID provider settings (never the client secret)",
      schema: { response: { 200: OidcProviderSettingsSchema } },
      target: same('/admin/sso/oidc'),
    },
    {
      ...admin,
      method: 'PUT',
      url: '/admin/sso/oidc',
      operationId: 'configureSingleSignOn',
      summary: "Sets the tenant's OpenID provider (the issuer is discovered first; the secret is sealed)",
      schema: { body: OidcProviderSettingsRequestSchema, response: { 200: OidcProviderSettingsSchema } },
      target: withBody('/admin/sso/oidc'),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/admin/sso/oidc',
      operationId: 'removeSingleSignOn',
      summary: "Removes the tenant's OpenID provider (its users keep their accounts)",
      schema: { response: { 204: NoContent } },
      target: same('/admin/sso/oidc'),
    },
    {
      ...admin,
      method: 'POST',
      url: '/admin/scim/tokens',
      operationId: 'issueScimToken',
      summary: "A new SCIM bearer token for the tenant's provisioning client (shown once, kept hashed)",
      schema: {
        response: {
          201: Type.Object({
            id: Type.String(),
            token: Type.String(),
            prefix: Type.String({ description: "The token's first characters, as the list shows them" }),
            createdAt: Type.String(),
          }),
        },
      },
      target: same('/admin/scim/tokens'),
    },
    {
      ...admin,
      method: 'GET',
      url: '/admin/scim/tokens',
      operationId: 'listScimTokens',
      summary:
        "The tenant's SCIM tokens, newest first: id, prefix, made when and by whom, last used (never the token)",
      description:
        'lastUsedAt is kept to the minute. A revoked token is deleted, so it is not listed; tokens made before prefixes were kept have none.',
      schema: {
        response: {
          200: Type.Object({
            tokens: Type.Array(
              Type.Object({
                id: Type.String(),
                prefix: Type.Optional(Type.String()),
                createdAt: Type.String(),
                createdBy: Type.String(),
                lastUsedAt: Type.Optional(Type.String()),
              }),
            ),
          }),
        },
      },
      target: same('/admin/scim/tokens'),
    },
    {
      ...admin,
      method: 'DELETE',
      url: '/admin/scim/tokens/:tokenId',
      operationId: 'revokeScimToken',
      summary: 'Revokes a SCIM token',
      schema: {
        params: Type.Object({ tokenId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: NoContent },
      },
      target: ({ params }) => ({ path: `/v1/admin/scim/tokens/${enc(params.tokenId)}`, bearer: true }),
    },
  ];
  for (const route of [...account, ...users]) registerProxyRoute(app, context, route);
}

const enc = (value: string | undefined) => encodeURIComponent(value ?? '');
