/**
 * Verifies an access token: EdDSA signature against the cached JWKS, issuer, audience, time
 * claims, claim shapes, then session revocation. A token whose signature and claims passed is
 * remembered until it expires, so the next request with it costs a map lookup and the
 * revocation check, never a second signature verification.
 */
import { type AccessTokenClaims, AccessTokenClaimsSchema } from '@parley/contracts';
import { errors as joseErrors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { Compile } from 'typebox/compile';
import type { JwksCache } from './jwks-cache.ts';

export type RejectionReason =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'unknown-key'
  | 'expired'
  | 'not-yet-valid'
  | 'issuer'
  | 'audience'
  | 'claims'
  | 'tenant-key'
  | 'revoked';

export class TokenRejectedError extends Error {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, message: string) {
    super(message);
    this.name = 'TokenRejectedError';
    this.reason = reason;
  }
}

export interface RevocationCheck {
  isRevoked(tenant: string, sessionId: string): boolean;
}

export interface TokenVerifierOptions {
  jwks: JwksCache;
  revocations: RevocationCheck;
  issuer: string;
  audience: string;
  /** Seconds of clock skew accepted on exp/nbf/iat. */
  clockToleranceSeconds?: number;
  /** How many verified tokens are remembered. */
  cacheSize?: number;
}

/** Only EdDSA: an allow-list, so "none" and HS256-signed-with-the-public-key never reach a key. */
const ALGORITHMS = ['EdDSA'];
const claimsValidator = Compile(AccessTokenClaimsSchema);

function classify(error: unknown): TokenRejectedError {
  if (error instanceof TokenRejectedError) return error;
  if (error instanceof joseErrors.JWTExpired) return new TokenRejectedError('expired', 'token expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'iss') return new TokenRejectedError('issuer', 'unexpected issuer');
    if (claim === 'aud') return new TokenRejectedError('audience', 'unexpected audience');
    if (claim === 'nbf' || (claim === 'iat' && error.reason === 'check_failed'))
      return new TokenRejectedError('not-yet-valid', 'token not yet valid');
    return new TokenRejectedError('claims', `claim ${claim} invalid`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new TokenRejectedError('algorithm', 'algorithm not allowed');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return new TokenRejectedError('signature', 'signature verification failed');
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return new TokenRejectedError('unknown-key', 'unknown signing key');
  if (
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JWTInvalid ||
    error instanceof joseErrors.JOSENotSupported
  )
    return new TokenRejectedError('malformed', 'malformed token');
  return new TokenRejectedError('malformed', 'token could not be verified');
}

export class TokenVerifier {
  readonly #options: Required<TokenVerifierOptions>;
  readonly #verified: LRUCache<string, AccessTokenClaims>;

  constructor(options: TokenVerifierOptions) {
    this.#options = { clockToleranceSeconds: 5, cacheSize: 50_000, ...options };
    this.#verified = new LRUCache({ max: this.#options.cacheSize, ttlAutopurge: false });
  }

  /** The claims of a valid token of a live session, or a TokenRejectedError saying why not. */
  async verify(token: string): Promise<AccessTokenClaims> {
    const cached = this.#verified.get(token);
    const claims = cached ?? (await this.#verifySignatureAndClaims(token));
    if (this.#options.revocations.isRevoked(claims.tid, claims.sid)) {
      throw new TokenRejectedError('revoked', 'session revoked');
    }
    return claims;
  }

  async #verifySignatureAndClaims(token: string): Promise<AccessTokenClaims> {
    let payload: unknown;
    let kid: string | undefined;
    try {
      ({
        payload,
        protectedHeader: { kid },
      } = await jwtVerify(token, this.#options.jwks.getKey, {
        algorithms: ALGORITHMS,
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        clockTolerance: this.#options.clockToleranceSeconds,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        typ: 'at+jwt',
      }));
    } catch (error) {
      throw classify(error);
    }
    if (!claimsValidator.Check(payload))
      throw new TokenRejectedError('claims', 'token claims have the wrong shape');
    const claims = payload as AccessTokenClaims;
    // Keys are per tenant (`<tenant>.<period>.<n>`): a key of one tenant never vouches for another's token.
    if (!kid?.startsWith(`${claims.tid}.`)) {
      throw new TokenRejectedError('tenant-key', "token not signed by its tenant's key");
    }
    // Remember it until it expires (minus nothing: exp was checked with the same tolerance).
    const ttl = (claims.exp + this.#options.clockToleranceSeconds) * 1000 - Date.now();
    if (ttl > 0) this.#verified.set(token, claims, { ttl });
    return claims;
  }
}
