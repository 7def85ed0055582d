/**
 * What the auth service announces.
 *
 * Security events (login, lockout, MFA changes, token reuse, revocations) travel as audit records
 * (`audit.record.submitted.v1`, see audit.ts, the compliance service's contract) on the tenant's
 * `audit` topic; their `action` is `auth.security.<event>`, listed here so producers and the
 * compliance service's queries name them alike.
 *
 * Open sign-up asks a notifier to write to an address: `auth.sign-up.verification-requested.v1`
 * (a link to finish signing up) or `auth.sign-up.account-exists.v1` (the address already has an
 * account: a notice instead, so the sign-up's answer never tells). What to send is sealed by the
 * tenant's keyring key (purpose `auth.sign-up-delivery`, bound to the sign-up id): no e-mail address
 * or token is ever in the clear in an outbox or on a topic. An invitation likewise asks for the
 * invitee to be written to (`auth.invitation.delivery-requested.v1`, purpose
 * `auth.invitation-delivery`, bound to the invitation id). A password reset for an address with an
 * account asks for its link to be sent (`auth.password-reset.requested.v1`, purpose
 * `auth.password-reset-delivery`, bound to the reset id). These delivery requests travel on the
 * tenant's `notifications` topic (AUTH_NOTIFICATION_EVENT_TYPES), not on `audit`.
 *
 * Session revocations are also pushed to every auth-client on a Redis channel (faster than Kafka
 * and what the socket service listens to for disconnects); the message shape is here too.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from '../event-envelope.ts';

export const AUTH_SECURITY_ACTIONS = [
  'auth.security.login-succeeded',
  'auth.security.login-failed',
  'auth.security.account-locked',
  'auth.security.mfa-challenge-failed',
  'auth.security.mfa-enrolled',
  'auth.security.mfa-disabled',
  'auth.security.recovery-code-used',
  'auth.security.recovery-codes-regenerated',
  'auth.security.refresh-token-reused',
  'auth.security.session-revoked',
  'auth.security.password-changed',
  'auth.security.password-reset-requested',
  'auth.security.password-reset',
  'auth.security.user-invited',
  'auth.security.user-registered',
  'auth.security.user-updated',
  'auth.security.user-deleted',
  'auth.security.user-deletion-denied',
  'auth.security.user-erased',
  'auth.security.sso-settings-changed',
  'auth.security.sso-login-failed',
  'auth.security.sso-identity-linked',
  'auth.security.scim-token-issued',
  'auth.security.scim-token-revoked',
  'auth.security.scim-request-refused',
] as const;
export type AuthSecurityAction = (typeof AUTH_SECURITY_ACTIONS)[number];

/** Redis channel (under the tenant's prefix) on which revocations are published. */
export const SESSION_REVOCATION_CHANNEL = 'auth:session-revocations';
/** Redis sorted set (under the tenant's prefix): revoked session id -> epoch ms until which it matters. */
export const REVOKED_SESSIONS_KEY = 'auth:revoked-sessions';

export const SessionRevocationMessageSchema = Type.Object(
  {
    tenant: Type.String(),
    sessionId: Type.String({ minLength: 1, maxLength: 64 }),
    userId: Type.String({ minLength: 1, maxLength: 64 }),
    reason: Type.String({ maxLength: 64 }),
    /** Epoch ms after which no access token of the session can still be valid. */
    relevantUntil: Type.Integer(),
  },
  { additionalProperties: false },
);
export type SessionRevocationMessage = Static<typeof SessionRevocationMessageSchema>;

/** Keyring purpose of a sign-up's sealed delivery (the tenant's default key; aad: the sign-up id). */
export const SIGN_UP_DELIVERY_PURPOSE = 'auth.sign-up-delivery';

/** What a sealed delivery opens to: where to write, and for a verification the link's token. */
export const SignUpDeliverySchema = Type.Object(
  {
    email: Type.String(),
    displayName: Type.Optional(Type.String()),
    token: Type.Optional(Type.String({ description: 'Only in a verification: the link to send carries it' })),
  },
  { additionalProperties: false },
);
export type SignUpDelivery = Static<typeof SignUpDeliverySchema>;

const SignUpNoticePayload = Type.Object(
  {
    signUpId: Type.String({ minLength: 1, maxLength: 64 }),
    expiresAt: Type.String({ format: 'date-time' }),
    /** base64 ciphertext of a SignUpDelivery (JSON), keyring purpose SIGN_UP_DELIVERY_PURPOSE. */
    sealedDelivery: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const SignUpVerificationRequested = defineEvent(
  'auth.sign-up.verification-requested.v1',
  SignUpNoticePayload,
);
export const SignUpAccountExists = defineEvent('auth.sign-up.account-exists.v1', SignUpNoticePayload);

/** Keyring purpose of an invitation's sealed delivery (the tenant's default key; aad: the invitation id). */
export const INVITATION_DELIVERY_PURPOSE = 'auth.invitation-delivery';

/** What an invitation's sealed delivery opens to: where to write, and the token the link carries. */
export const InvitationDeliverySchema = Type.Object(
  {
    email: Type.String(),
    token: Type.String({
      description: 'The invitation link carries it (POST /v1/tenants/:t/invitations/accept)',
    }),
    roles: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type InvitationDelivery = Static<typeof InvitationDeliverySchema>;

export const InvitationDeliveryRequested = defineEvent(
  'auth.invitation.delivery-requested.v1',
  Type.Object(
    {
      invitationId: Type.String({ minLength: 1, maxLength: 64 }),
      expiresAt: Type.String({ format: 'date-time' }),
      /** base64 ciphertext of an InvitationDelivery (JSON), keyring purpose INVITATION_DELIVERY_PURPOSE. */
      sealedDelivery: Type.String({ minLength: 1 }),
    },
    { additionalProperties: false },
  ),
);

/** Keyring purpose of a password reset's sealed delivery (key `subject:<reset id>`; aad: the reset id). */
export const PASSWORD_RESET_DELIVERY_PURPOSE = 'auth.password-reset-delivery';

/** What a reset's sealed delivery opens to: where to write, to whom, and the token the link carries. */
export const PasswordResetDeliverySchema = Type.Object(
  {
    email: Type.String(),
    displayName: Type.Optional(Type.String()),
    token: Type.String({
      description: 'The reset link carries it (POST /v1/tenants/:t/password-reset/confirm)',
    }),
  },
  { additionalProperties: false },
);
export type PasswordResetDelivery = Static<typeof PasswordResetDeliverySchema>;

export const PasswordResetRequested = defineEvent(
  'auth.password-reset.requested.v1',
  Type.Object(
    {
      resetId: Type.String({ minLength: 1, maxLength: 64 }),
      expiresAt: Type.String({ format: 'date-time' }),
      /** base64 ciphertext of a PasswordResetDelivery (JSON), keyring purpose PASSWORD_RESET_DELIVERY_PURPOSE. */
      sealedDelivery: Type.String({ minLength: 1 }),
    },
    { additionalProperties: false },
  ),
);

/** Keyring purpose of a new-device notice's sealed delivery (key `subject:<user id>`; aad: the user id). */
export const NEW_DEVICE_DELIVERY_PURPOSE = 'auth.new-device-delivery';

/** What a new-device notice's sealed delivery opens to: whom to write, and the device as seen. */
export const NewDeviceDeliverySchema = Type.Object(
  {
    email: Type.String(),
    displayName: Type.Optional(Type.String()),
    device: Type.String({ maxLength: 300, description: "The sign-in's user agent, or 'an unknown device'" }),
  },
  { additionalProperties: false },
);
export type NewDeviceDelivery = Static<typeof NewDeviceDeliverySchema>;

/** A user signed in from a device (user agent) their account had not used: the notifier mails them. */
export const NewDeviceSignIn = defineEvent(
  'auth.sign-in.new-device.v1',
  Type.Object(
    {
      userId: Type.String({ minLength: 1, maxLength: 64 }),
      sessionId: Type.String({ minLength: 1, maxLength: 64 }),
      signedInAt: Type.String({ format: 'date-time' }),
      /** base64 ciphertext of a NewDeviceDelivery (JSON), keyring purpose NEW_DEVICE_DELIVERY_PURPOSE. */
      sealedDelivery: Type.String({ minLength: 1 }),
    },
    { additionalProperties: false },
  ),
);

/** The auth events a notifier consumes: they go to the tenant's `notifications` stream. */
export const AUTH_NOTIFICATION_EVENT_TYPES: readonly string[] = [
  SignUpVerificationRequested.type,
  SignUpAccountExists.type,
  InvitationDeliveryRequested.type,
  PasswordResetRequested.type,
  NewDeviceSignIn.type,
];
