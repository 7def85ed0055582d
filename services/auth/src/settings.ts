/**
 * The auth service's settings (read by @parley/kit from the environment) and the policy derived
 * from them. Every value has a default that works against the local stack.
 */

import { masterKeySettings } from '@parley/keyring';
import { kafkaSettings, mongoSettings, redisSettings, type Static, serviceSettings, Type } from '@parley/kit';
import { DEFAULT_ARGON2, OWASP_MINIMUM } from './domain/password-hasher.ts';

export const AUTH_PORT = 3007;

/**
 * The auth service's Redis connection. Auto-pipelining sends the commands issued in one tick of
 * the event loop as one write: the sessions of one group commit (store/group-insert.ts) write
 * their Redis records together, one socket write and one read for the group instead of one each.
 */
export const AUTH_REDIS_OPTIONS = { enableAutoPipelining: true } as const;

export const authSettingsSchema = Type.Object({
  ...serviceSettings(AUTH_PORT, 'auth'),
  ...mongoSettings,
  ...redisSettings,
  ...kafkaSettings,
  ...masterKeySettings,
  AUTH_ISSUER: Type.String({ minLength: 1, default: 'http://127.0.0.1:3007' }),
  AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'parley' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 3600, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 300, default: 30 * 24 * 3600 }),
  /** How long a just-rotated refresh token may still be used (concurrent refreshes, lost answers). */
  REFRESH_REUSE_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 120, default: 10 }),
  /**
   * While logins are steady, how long a new session's write may wait for others to share one
   * database operation (group commit; a lone login is written at once). 0 turns it off.
   */
  SESSION_WRITE_LINGER_MS: Type.Integer({ minimum: 0, maximum: 100, default: 10 }),
  /** How long one signing key signs before the next takes over. */
  SIGNING_KEY_PERIOD_SECONDS: Type.Integer({ minimum: 600, default: 7 * 24 * 3600 }),
  /** argon2id's parameters for new hashes: OWASP's minimum at least, DEFAULT_ARGON2 (and why) by default. */
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: OWASP_MINIMUM.memoryKiB, default: DEFAULT_ARGON2.memoryKiB }),
  ARGON2_PASSES: Type.Integer({ minimum: OWASP_MINIMUM.passes, default: DEFAULT_ARGON2.passes }),
  ARGON2_PARALLELISM: Type.Integer({
    minimum: OWASP_MINIMUM.parallelism,
    default: DEFAULT_ARGON2.parallelism,
  }),
  /**
   * libuv's thread pool size, which libuv itself reads from this same variable at start: password
   * hashes are handed to the pool at most this many at a time (see domain/password-hasher.ts).
   */
  UV_THREADPOOL_SIZE: Type.Integer({ minimum: 1, maximum: 1024, default: 4 }),
  /** Failures per account (passwords, TOTP and recovery codes alike) before a lockout. */
  LOCKOUT_ACCOUNT_THRESHOLD: Type.Integer({ minimum: 1, default: 5 }),
  /** Failures per source address before a lockout (higher: many users share NATs). */
  LOCKOUT_ADDRESS_THRESHOLD: Type.Integer({ minimum: 1, default: 30 }),
  /** The first lockout; each further one doubles, up to the maximum. */
  LOCKOUT_BASE_SECONDS: Type.Integer({ minimum: 1, default: 30 }),
  LOCKOUT_MAX_SECONDS: Type.Integer({ minimum: 1, default: 3600 }),
  /** Failures are counted within this window. */
  LOCKOUT_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  MFA_CHALLENGE_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 900, default: 300 }),
  INVITATION_TTL_SECONDS: Type.Integer({ minimum: 3600, default: 7 * 24 * 3600 }),
  /** How long the link that finishes an open sign-up stays valid. */
  SIGN_UP_LINK_TTL_SECONDS: Type.Integer({ minimum: 600, maximum: 7 * 24 * 3600, default: 24 * 3600 }),
  /** Open sign-up requests per e-mail address within the window before a lockout (each asks for a message to it). */
  SIGN_UP_ADDRESS_LIMIT: Type.Integer({ minimum: 1, default: 3 }),
  /** Open sign-up requests per source address within the window before a lockout (higher: shared NATs). */
  SIGN_UP_SOURCE_LIMIT: Type.Integer({ minimum: 1, default: 20 }),
  SIGN_UP_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 60, default: 3600 }),
  /** The first sign-up lockout; each further one doubles, up to the maximum. */
  SIGN_UP_LOCKOUT_BASE_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  SIGN_UP_LOCKOUT_MAX_SECONDS: Type.Integer({ minimum: 1, default: 24 * 3600 }),
  /** How often expired `sign_ups` documents are purged (bounded: they hold password hashes). */
  SIGN_UP_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 600_000 }),
  /** How long a password reset link stays valid (it works once). */
  PASSWORD_RESET_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 24 * 3600, default: 3600 }),
  /** How long a single sign-on may take between its start and the provider's callback. */
  OIDC_STATE_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 3600, default: 600 }),
  /**
   * Accept `http://` OpenID issuers: only for the local provider of dev and tests (tokens and keys
   * of a real provider come over TLS).
   */
  OIDC_ALLOW_HTTP_ISSUERS: Type.Boolean({ default: false }),
  /**
   * Networks an OpenID issuer (and the endpoints its discovery document names) may be on although
   * they are loopback, private, link-local or otherwise not public: CIDRs, comma-separated (e.g.
   * `10.20.0.0/16` for an on-prem IdP). Empty: public addresses only. A tenant admin names the
   * issuer and the server fetches it, so without this every internal address is refused (SSRF).
   */
  OIDC_ISSUER_ALLOWED_NETWORKS: Type.String({ default: '' }),
  /** Reset requests per e-mail address within the window before a lockout (each may mail the address). */
  PASSWORD_RESET_ADDRESS_LIMIT: Type.Integer({ minimum: 1, default: 3 }),
  /** Reset requests per source address within the window before a lockout (higher: shared NATs). */
  PASSWORD_RESET_SOURCE_LIMIT: Type.Integer({ minimum: 1, default: 20 }),
  PASSWORD_RESET_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 60, default: 3600 }),
  /** The first reset lockout; each further one doubles, up to the maximum. */
  PASSWORD_RESET_LOCKOUT_BASE_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  PASSWORD_RESET_LOCKOUT_MAX_SECONDS: Type.Integer({ minimum: 1, default: 24 * 3600 }),
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 10, default: 250 }),
  /** The compliance service: auth registers there as a GDPR participant and uploads export parts. */
  COMPLIANCE_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3008' }),
  /** How often the GDPR participant looks for new tenants' gdpr topics. */
  GDPR_TOPIC_REFRESH_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
});
export type AuthConfig = Static<typeof authSettingsSchema>;

export interface AuthPolicy {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  sessionWriteLingerMs: number;
  signingKeyPeriodSeconds: number;
  argon2: { memoryKiB: number; passes: number; parallelism: number };
  /** Password hashes on the thread pool at once: the pool's size. */
  hashingConcurrency: number;
  lockout: {
    accountThreshold: number;
    addressThreshold: number;
    baseSeconds: number;
    maxSeconds: number;
    windowSeconds: number;
  };
  mfaChallengeTtlSeconds: number;
  invitationTtlSeconds: number;
  signUpLinkTtlSeconds: number;
  /** Open sign-up's caps: `accountThreshold` per e-mail address, `addressThreshold` per source address. */
  signUpLimits: {
    accountThreshold: number;
    addressThreshold: number;
    baseSeconds: number;
    maxSeconds: number;
    windowSeconds: number;
  };
  signUpSweepIntervalMs: number;
  passwordResetTtlSeconds: number;
  oidc: { stateTtlSeconds: number; allowHttpIssuers: boolean; issuerAllowedNetworks: string };
  /** Password reset's caps: `accountThreshold` per e-mail address, `addressThreshold` per source address. */
  passwordResetLimits: {
    accountThreshold: number;
    addressThreshold: number;
    baseSeconds: number;
    maxSeconds: number;
    windowSeconds: number;
  };
  /** Clock skew accepted by verifiers; revocations are kept this much longer than the token TTL. */
  clockToleranceSeconds: number;
}

export function policyFrom(config: AuthConfig): AuthPolicy {
  return {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    refreshReuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
    sessionWriteLingerMs: config.SESSION_WRITE_LINGER_MS,
    signingKeyPeriodSeconds: config.SIGNING_KEY_PERIOD_SECONDS,
    argon2: {
      memoryKiB: config.ARGON2_MEMORY_KIB,
      passes: config.ARGON2_PASSES,
      parallelism: config.ARGON2_PARALLELISM,
    },
    hashingConcurrency: config.UV_THREADPOOL_SIZE,
    lockout: {
      accountThreshold: config.LOCKOUT_ACCOUNT_THRESHOLD,
      addressThreshold: config.LOCKOUT_ADDRESS_THRESHOLD,
      baseSeconds: config.LOCKOUT_BASE_SECONDS,
      maxSeconds: config.LOCKOUT_MAX_SECONDS,
      windowSeconds: config.LOCKOUT_WINDOW_SECONDS,
    },
    mfaChallengeTtlSeconds: config.MFA_CHALLENGE_TTL_SECONDS,
    invitationTtlSeconds: config.INVITATION_TTL_SECONDS,
    signUpLinkTtlSeconds: config.SIGN_UP_LINK_TTL_SECONDS,
    signUpLimits: {
      accountThreshold: config.SIGN_UP_ADDRESS_LIMIT,
      addressThreshold: config.SIGN_UP_SOURCE_LIMIT,
      baseSeconds: config.SIGN_UP_LOCKOUT_BASE_SECONDS,
      maxSeconds: config.SIGN_UP_LOCKOUT_MAX_SECONDS,
      windowSeconds: config.SIGN_UP_LIMIT_WINDOW_SECONDS,
    },
    signUpSweepIntervalMs: config.SIGN_UP_SWEEP_INTERVAL_MS,
    passwordResetTtlSeconds: config.PASSWORD_RESET_TTL_SECONDS,
    oidc: {
      stateTtlSeconds: config.OIDC_STATE_TTL_SECONDS,
      allowHttpIssuers: config.OIDC_ALLOW_HTTP_ISSUERS,
      issuerAllowedNetworks: config.OIDC_ISSUER_ALLOWED_NETWORKS,
    },
    passwordResetLimits: {
      accountThreshold: config.PASSWORD_RESET_ADDRESS_LIMIT,
      addressThreshold: config.PASSWORD_RESET_SOURCE_LIMIT,
      baseSeconds: config.PASSWORD_RESET_LOCKOUT_BASE_SECONDS,
      maxSeconds: config.PASSWORD_RESET_LOCKOUT_MAX_SECONDS,
      windowSeconds: config.PASSWORD_RESET_LIMIT_WINDOW_SECONDS,
    },
    clockToleranceSeconds: 5,
  };
}
