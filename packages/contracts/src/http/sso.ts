/**
 * HTTP bodies of single sign-on with OpenID Connect (auth service, through the gateway): a tenant
 * admin's provider settings, and the two steps of a sign-in (authorization code flow with PKCE).
 *
 * The client secret is write-only: it is sealed under the tenant's key on arrival and no answer
 * ever carries it.
 */
import { type Static, Type } from 'typebox';
import { RoleSchema } from './auth.ts';

const HttpUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 });
/** An e-mail domain as a person types it (lower-cased by the service). */
const EmailDomain = Type.String({
  minLength: 3,
  maxLength: 253,
  pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$',
});

/** A group at the provider and the Parley roles its members get. */
export const RoleMappingSchema = Type.Object(
  {
    group: Type.String({ minLength: 1, maxLength: 256 }),
    roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 3, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type RoleMapping = Static<typeof RoleMappingSchema>;

export const OidcProviderSettingsRequestSchema = Type.Object(
  {
    issuer: Type.String({
      ...HttpUrl,
      description: "The provider's issuer identifier; its discovery document is read from it",
    }),
    clientId: Type.String({ minLength: 1, maxLength: 255 }),
    clientSecret: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Write-only; sealed on arrival',
    }),
    redirectUris: Type.Array(HttpUrl, {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
      description: 'Where the provider may send the browser back (as registered at the provider)',
    }),
    allowedEmailDomains: Type.Array(EmailDomain, {
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      description: 'Only verified addresses in these domains sign in or get an account',
    }),
    groupsClaim: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[A-Za-z0-9_:./-]+$',
        description: "The claim (id token or UserInfo) listing the person's groups; `groups` when absent",
      }),
    ),
    roleMappings: Type.Optional(
      Type.Array(RoleMappingSchema, {
        maxItems: 50,
        description:
          "Roles from the provider's groups. When any is set, each sign-in sets the person's roles to member plus every mapped group's roles (a group left at the provider is a role lost at the next sign-in)",
      }),
    ),
    requireSso: Type.Optional(
      Type.Boolean({
        description:
          'Passwords off: only the break-glass admins sign in with a password; everyone else through the provider',
      }),
    ),
    breakGlassUserIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        maxItems: 5,
        uniqueItems: true,
        description:
          'Admins of this tenant, with a password, who may still sign in with it when single sign-on is required (required then: at least one)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type OidcProviderSettingsRequest = Static<typeof OidcProviderSettingsRequestSchema>;

export const OidcProviderSettingsSchema = Type.Object({
  issuer: Type.String(),
  clientId: Type.String(),
  redirectUris: Type.Array(Type.String()),
  allowedEmailDomains: Type.Array(Type.String()),
  groupsClaim: Type.String(),
  roleMappings: Type.Array(RoleMappingSchema),
  requireSso: Type.Boolean(),
  breakGlassUserIds: Type.Array(Type.String()),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type OidcProviderSettings = Static<typeof OidcProviderSettingsSchema>;

export const SsoStartRequestSchema = Type.Object({ redirectUri: HttpUrl }, { additionalProperties: false });

export const SsoStartResponseSchema = Type.Object({
  authorizationUrl: Type.String({ description: "Send the browser here (the provider's sign-in)" }),
  expiresIn: Type.Integer({ description: 'Seconds the sign-in may take before it must start again' }),
});

/** What the provider appended to the redirect URI, passed on as it came. */
export const SsoCallbackRequestSchema = Type.Object(
  {
    state: Type.String({ minLength: 16, maxLength: 256 }),
    code: Type.String({ minLength: 1, maxLength: 4096 }),
    iss: Type.Optional(
      Type.String({ maxLength: 2048, description: 'RFC 9207 issuer, when the provider sends it' }),
    ),
  },
  { additionalProperties: false },
);
export type SsoCallbackRequest = Static<typeof SsoCallbackRequestSchema>;
