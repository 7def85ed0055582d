/**
 * Access tokens: short-lived JWTs (`typ: at+jwt`, RFC 9068) signed with the tenant's current key.
 *
 * Signed here with node:crypto's one-shot Ed25519 `sign` (about 50 µs on the event loop) rather
 * than jose's SignJWT: jose 6 signs only through WebCrypto, whose jobs run on libuv's thread pool,
 * the pool argon2id keeps busy during logins. Measured (auth-login bench, 8 logins in flight), a
 * signature waited ~100 ms on average behind queued password hashes, holding its login that long.
 * A compact JWS is simple to assemble (RFC 7515 §7.1); verification stays with jose in
 * @parley/auth-client, and the tests verify these tokens through it.
 */
import { randomUUID, sign } from 'node:crypto';
import type { AccessTokenClaims, Role } from '@parley/contracts';
import type { SigningKeys } from './signing-keys.ts';

export interface AccessTokenSubject {
  tenant: string;
  userId: string;
  sessionId: string;
  roles: Role[];
  amr: string[];
}

const base64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');

export class AccessTokenIssuer {
  readonly #keys: SigningKeys;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #ttlSeconds: number;

  constructor(keys: SigningKeys, options: { issuer: string; audience: string; ttlSeconds: number }) {
    this.#keys = keys;
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#ttlSeconds = options.ttlSeconds;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  async issue(subject: AccessTokenSubject): Promise<string> {
    const signer = await this.#keys.signerFor(subject.tenant);
    const now = Math.floor(Date.now() / 1000);
    const claims: AccessTokenClaims = {
      iss: this.#issuer,
      aud: this.#audience,
      sub: subject.userId,
      tid: subject.tenant,
      sid: subject.sessionId,
      roles: subject.roles,
      amr: subject.amr,
      iat: now,
      nbf: now,
      exp: now + this.#ttlSeconds,
      jti: randomUUID(),
    };
    const signingInput = `${base64url({ alg: 'EdDSA', kid: signer.kid, typ: 'at+jwt' })}.${base64url(claims)}`;
    // Ed25519 takes no separate digest (null): the algorithm hashes the message itself.
    const signature = sign(null, Buffer.from(signingInput), signer.privateKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}
