/**
 * @parley/auth-client: what the gateway, the socket service and the auth service itself use to
 * trust an access token. `createAuthClient()` wires the three parts; each is exported for tests.
 */
import type { Redis } from 'ioredis';
import type { JSONWebKeySet } from 'jose';
import { httpJwksSource } from './http-jwks-source.ts';
import { JwksCache, type JwksSource } from './jwks-cache.ts';
import { RevocationSet } from './revocation-set.ts';
import { TokenVerifier } from './token-verifier.ts';

export * from './fastify-guard.ts';
export * from './http-jwks-source.ts';
export * from './jwks-cache.ts';
export * from './revocation-set.ts';
export * from './token-verifier.ts';

export interface AuthClientOptions {
  /**
   * The auth service's per-tenant key set URL with `{tenant}`
   * (…/v1/tenants/{tenant}/.well-known/jwks.json), or an in-process source of one tenant's keys.
   */
  jwks: string | JwksSource;
  redis: Redis;
  issuer: string;
  audience: string;
  clockToleranceSeconds?: number;
  onError?: (error: unknown) => void;
}

export interface AuthClient {
  readonly name: string;
  verifier: TokenVerifier;
  jwks: JwksCache;
  revocations: RevocationSet;
  /** Loads keys and revocations; resolves when verification is fully informed. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const source = typeof options.jwks === 'string' ? httpJwksSource(options.jwks) : options.jwks;
  const jwks = new JwksCache({ source, ...(options.onError ? { onRefreshError: options.onError } : {}) });
  const revocations = new RevocationSet({
    redis: options.redis,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const verifier = new TokenVerifier({
    jwks,
    revocations,
    issuer: options.issuer,
    audience: options.audience,
    ...(options.clockToleranceSeconds !== undefined
      ? { clockToleranceSeconds: options.clockToleranceSeconds }
      : {}),
  });
  return {
    name: 'auth-client',
    verifier,
    jwks,
    revocations,
    async start() {
      await Promise.all([jwks.start(), revocations.start()]);
    },
    async stop() {
      jwks.stop();
      await revocations.stop();
    },
  };
}

export type { JSONWebKeySet };
