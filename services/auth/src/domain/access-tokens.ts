/** Access tokens: short-lived JWTs (`typ: at+jwt`, RFC 9068) signed with the tenant's current key. */
import { randomUUID } from 'node:crypto';
import type { AccessTokenClaims, Role } from '@parley/contracts';
import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.ts';

export interface AccessTokenSubject {
  tenant: string;
  userId: string;
  sessionId: string;
  roles: Role[];
  amr: string[];
}

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
    const claims: Omit<AccessTokenClaims, 'iss' | 'aud' | 'sub' | 'exp' | 'iat' | 'jti'> = {
      tid: subject.tenant,
      sid: subject.sessionId,
      roles: subject.roles,
      amr: subject.amr,
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'at+jwt' })
      .setIssuer(this.#issuer)
      .setAudience(this.#audience)
      .setSubject(subject.userId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.#ttlSeconds)
      .setJti(randomUUID())
      .sign(signer.privateKey);
  }
}
