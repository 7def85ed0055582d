/**
 * HTTP bodies of the auth service (port 3007), shared by the service (validation, OpenAPI) and
 * its callers: the gateway, the operator (first admins' invitations) and auth-client.
 *
 * Public routes name the tenant in the path (`/tenants/:tenant/...`) because no token exists
 * yet; routes behind a bearer token take the tenant from the token's `tid` claim only.
 */
import { type Static, Type } from 'typebox';

export const ROLES = ['member', 'admin', 'compliance-officer'] as const;
export const RoleSchema = Type.Union([
  Type.Literal('member'),
  Type.Literal('admin'),
  Type.Literal('compliance-officer'),
]);
export type Role = Static<typeof RoleSchema>;

export const USER_STATUSES = ['active', 'suspended', 'deleted'] as const;
export const UserStatusSchema = Type.Union([
  Type.Literal('active'),
  Type.Literal('suspended'),
  Type.Literal('deleted'),
]);
export type UserStatus = Static<typeof UserStatusSchema>;

export const EmailSchema = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
/** Length is the policy that matters (NIST SP 800-63B); 128 bounds the hashing cost of a request. */
export const PasswordSchema = Type.String({ minLength: 12, maxLength: 128 });
export const TotpCodeSchema = Type.String({ pattern: '^[0-9]{6}$' });
/** Four groups of five base32 characters (100 bits); codes of two groups issued before still work. */
export const RecoveryCodeSchema = Type.String({
  pattern: '^[a-z2-7]{5}-[a-z2-7]{5}(-[a-z2-7]{5}-[a-z2-7]{5})?$',
});
export const DisplayNameSchema = Type.String({ minLength: 1, maxLength: 100 });
const Id = Type.String({ minLength: 1, maxLength: 64 });

/** The claims of every access token (a JWT signed with EdDSA, verified by auth-client). */
export const AccessTokenClaimsSchema = Type.Object({
  iss: Type.String(),
  aud: Type.Union([Type.String(), Type.Array(Type.String())]),
  sub: Id,
  tid: Type.String(),
  sid: Id,
  roles: Type.Array(RoleSchema),
  amr: Type.Array(Type.String()),
  exp: Type.Integer(),
  iat: Type.Integer(),
  nbf: Type.Optional(Type.Integer()),
  jti: Id,
});
export type AccessTokenClaims = Static<typeof AccessTokenClaimsSchema>;

export const LoginRequestSchema = Type.Object(
  { email: EmailSchema, password: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const TokenPairSchema = Type.Object({
  tokenType: Type.Literal('Bearer'),
  accessToken: Type.String(),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  refreshToken: Type.String({ description: 'Opaque; rotated on every use' }),
  refreshExpiresIn: Type.Integer(),
  sessionId: Id,
});
export type TokenPair = Static<typeof TokenPairSchema>;

export const MfaChallengeSchema = Type.Object({
  mfaRequired: Type.Literal(true),
  challenge: Type.String({ description: 'Answer it at /v1/tenants/:tenant/login/mfa within its lifetime' }),
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recovery-code')])),
  expiresIn: Type.Integer(),
});

export const LoginResponseSchema = Type.Union([TokenPairSchema, MfaChallengeSchema]);

export const MfaLoginRequestSchema = Type.Union([
  Type.Object(
    { challenge: Type.String({ minLength: 1, maxLength: 200 }), code: TotpCodeSchema },
    { additionalProperties: false },
  ),
  Type.Object(
    { challenge: Type.String({ minLength: 1, maxLength: 200 }), recoveryCode: RecoveryCodeSchema },
    { additionalProperties: false },
  ),
]);

export const RefreshRequestSchema = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const SignUpRequestSchema = Type.Object(
  { email: EmailSchema, password: PasswordSchema, displayName: DisplayNameSchema },
  { additionalProperties: false },
);

/**
 * `POST /v1/tenants/:tenant/sign-up` answers 202 with this, whether or not the e-mail already has an
 * account (no enumeration): the address receives either a link to finish signing up or a notice
 * that it already has an account.
 */
export const SignUpAcceptedSchema = Type.Object({
  status: Type.Literal('verification-pending'),
  detail: Type.String(),
  expiresIn: Type.Integer({ description: 'Seconds the link sent to the address stays valid' }),
});
export type SignUpAccepted = Static<typeof SignUpAcceptedSchema>;

/** `POST /v1/tenants/:tenant/sign-up/verify`: the token from the link -> 201 with the new user. */
export const SignUpVerificationRequestSchema = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

/**
 * `POST /v1/tenants/:tenant/password-reset`: an address -> 202 with PasswordResetAcceptedSchema,
 * whether or not it has an account here (no enumeration); an account's address is mailed a
 * single-use link.
 */
export const PasswordResetRequestSchema = Type.Object(
  { email: EmailSchema },
  { additionalProperties: false },
);

export const PasswordResetAcceptedSchema = Type.Object({
  status: Type.Literal('reset-requested'),
  detail: Type.String(),
  expiresIn: Type.Integer({ description: 'Seconds the link sent to the address stays valid' }),
});
export type PasswordResetAccepted = Static<typeof PasswordResetAcceptedSchema>;

/**
 * `POST /v1/tenants/:tenant/password-reset/confirm`: the link's token and a new password -> 204;
 * every session of the account ends.
 */
export const PasswordResetConfirmSchema = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }), password: PasswordSchema },
  { additionalProperties: false },
);

export const AcceptInvitationRequestSchema = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    password: PasswordSchema,
    displayName: DisplayNameSchema,
  },
  { additionalProperties: false },
);

export const UserSchema = Type.Object({
  id: Id,
  email: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(RoleSchema),
  status: UserStatusSchema,
  mfaEnabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof UserSchema>;

export const SessionSchema = Type.Object({
  id: Id,
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  amr: Type.Array(Type.String()),
  userAgent: Type.Optional(Type.String()),
  current: Type.Boolean(),
});

export const ChangePasswordRequestSchema = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 128 }), newPassword: PasswordSchema },
  { additionalProperties: false },
);

export const TotpEnrolmentSchema = Type.Object({
  secret: Type.String({ description: 'Base32, for manual entry' }),
  otpauthUri: Type.String({ description: 'otpauth://totp/... for a QR code' }),
});

/** Enrolling an authenticator needs the password again: a stolen access token alone cannot. */
export const TotpEnrolmentRequestSchema = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const TotpConfirmRequestSchema = Type.Object(
  { code: TotpCodeSchema },
  { additionalProperties: false },
);

export const RecoveryCodesSchema = Type.Object({
  recoveryCodes: Type.Array(Type.String(), { description: 'Shown once; stored only as hashes' }),
});

/** Turning MFA off or new recovery codes need the password again and a second factor. */
export const ReauthenticationSchema = Type.Union([
  Type.Object(
    { password: Type.String({ minLength: 1, maxLength: 128 }), code: TotpCodeSchema },
    { additionalProperties: false },
  ),
  Type.Object(
    { password: Type.String({ minLength: 1, maxLength: 128 }), recoveryCode: RecoveryCodeSchema },
    { additionalProperties: false },
  ),
]);

export const InvitationRequestSchema = Type.Object(
  { email: EmailSchema, roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 3, uniqueItems: true }) },
  { additionalProperties: false },
);

/**
 * `POST /v1/internal/tenants/:tenant/invitations` (service credential in x-service-token): the
 * operator invites a tenant's first admins. Idempotent per e-mail: a repeat call answers 200 with
 * the invitation's state and no token (the token exists only in the first answer), unless
 * `reissue` is true: then a pending invitation gets a fresh token (201) and the old one dies.
 */
export const InternalInvitationRequestSchema = Type.Object(
  {
    email: EmailSchema,
    roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 3, uniqueItems: true, default: ['admin'] }),
    invitedBy: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'e.g. operator' })),
    reissue: Type.Optional(
      Type.Boolean({
        description: 'Replace a pending invitation with a fresh token (the old one stops working)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const InvitationResponseSchema = Type.Object({
  invitationId: Id,
  email: Type.String(),
  state: Type.Union([Type.Literal('invited'), Type.Literal('pending'), Type.Literal('accepted')]),
  token: Type.Optional(Type.String({ description: 'Only when the invitation was created by this call' })),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const UpdateUserRequestSchema = Type.Object(
  {
    roles: Type.Optional(Type.Array(RoleSchema, { minItems: 1, maxItems: 3, uniqueItems: true })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const TenantAuthSettingsSchema = Type.Object(
  { openSignUp: Type.Boolean() },
  { additionalProperties: false },
);
