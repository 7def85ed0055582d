/**
 * What the auth service announces.
 *
 * Security events (login, lockout, MFA changes, token reuse, revocations) travel as audit records
 * (`audit.record.submitted.v1`, see audit.ts, the compliance service's contract) on the tenant's
 * `audit` topic; their `action` is `auth.security.<event>`, listed here so producers and the
 * compliance service's queries name them alike.
 *
 * Session revocations are also pushed to every auth-client on a Redis channel (faster than Kafka
 * and what the socket service listens to for disconnects); the message shape is here too.
 */
import { type Static, Type } from 'typebox';

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
  'auth.security.user-invited',
  'auth.security.user-registered',
  'auth.security.user-updated',
  'auth.security.user-deleted',
  'auth.security.user-deletion-denied',
  'auth.security.user-erased',
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
