import { createHmac, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { JwksCache } from './jwks-cache.ts';
import { type RejectionReason, TokenRejectedError, TokenVerifier } from './token-verifier.ts';

const ISSUER = 'https://auth.parley.test';
const AUDIENCE = 'parley';

let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwks: JSONWebKeySet;
let jwksLoads = 0;
const revoked = new Set<string>();

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    tid: 'acme',
    sid: 'session-1',
    roles: ['member'],
    amr: ['pwd'],
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...overrides,
  };
}

function sign(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: 'acme.1.k1', typ: 'at+jwt', ...header })
    .sign(privateKey);
}

function newVerifier(): TokenVerifier {
  const cache = new JwksCache({
    source: async () => {
      jwksLoads += 1;
      return jwks;
    },
    unknownKeyCooldownMs: 60_000,
  });
  return new TokenVerifier({
    jwks: cache,
    revocations: { isRevoked: (tenant, sid) => revoked.has(`${tenant}/${sid}`) },
    issuer: ISSUER,
    audience: AUDIENCE,
  });
}

async function rejection(verifier: TokenVerifier, token: string): Promise<RejectionReason> {
  try {
    await verifier.verify(token);
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason;
    throw error;
  }
  throw new Error('token was accepted');
}

beforeAll(async () => {
  const pair = await generateKeyPair('Ed25519');
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'acme.1.k1', alg: 'EdDSA', use: 'sig' }] };
});

describe('TokenVerifier', () => {
  it('accepts a valid token and returns its claims', async () => {
    const verifier = newVerifier();
    const result = await verifier.verify(await sign(claims()));
    expect(result).toMatchObject({ sub: 'user-1', tid: 'acme', sid: 'session-1', roles: ['member'] });
  });

  it('refuses alg "none"', async () => {
    const token = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claims())}.`;
    expect(await rejection(newVerifier(), token)).toBe('algorithm');
  });

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const header = b64url({ alg: 'HS256', kid: 'acme.1.k1', typ: 'at+jwt' });
    const body = b64url(claims());
    const publicKeyMaterial = [
      Buffer.from(jwks.keys[0]?.x ?? '', 'base64url'),
      Buffer.from(JSON.stringify(jwks.keys[0])),
    ];
    for (const secret of publicKeyMaterial) {
      const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
      expect(await rejection(newVerifier(), `${header}.${body}.${signature}`)).toBe('algorithm');
    }
  });

  it('refuses expired and not-yet-valid tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await rejection(newVerifier(), await sign(claims({ iat: now - 600, exp: now - 60 })))).toBe(
      'expired',
    );
    expect(await rejection(newVerifier(), await sign(claims({ nbf: now + 120 })))).toBe('not-yet-valid');
  });

  it('refuses a wrong issuer or audience', async () => {
    expect(await rejection(newVerifier(), await sign(claims({ iss: 'https://evil.test' })))).toBe('issuer');
    expect(await rejection(newVerifier(), await sign(claims({ aud: 'another-app' })))).toBe('audience');
  });

  it('refuses a tampered payload, even for a token verified before', async () => {
    const verifier = newVerifier();
    const token = await sign(claims());
    await verifier.verify(token);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64url(claims({ roles: ['admin'] }))}.${signature}`;
    expect(await rejection(verifier, forged)).toBe('signature');
  });

  it('refuses a token whose claims have the wrong shape or a wrong type header', async () => {
    expect(
      await rejection(newVerifier(), await sign(claims({ roles: 'admin' as unknown as string[] }))),
    ).toBe('claims');
    expect(await rejection(newVerifier(), await sign(claims(), { typ: 'JWT' }))).toBe('claims');
  });

  it('refuses a token of a revoked session at once, even when cached', async () => {
    const verifier = newVerifier();
    const token = await sign(claims({ sid: 'session-2' }));
    await verifier.verify(token);
    revoked.add('acme/session-2');
    expect(await rejection(verifier, token)).toBe('revoked');
    // A key of one tenant never vouches for a token claiming another tenant.
    expect(await rejection(verifier, await sign(claims({ sid: 'session-2', tid: 'globex' })))).toBe(
      'tenant-key',
    );
  });

  it('refuses an unknown key id after at most one key reload', async () => {
    const verifier = newVerifier();
    await verifier.verify(await sign(claims()));
    const loads = jwksLoads;
    const other = await generateKeyPair('Ed25519');
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k9', typ: 'at+jwt' })
      .sign(other.privateKey);
    expect(await rejection(verifier, token)).toBe('unknown-key');
    expect(await rejection(verifier, token)).toBe('unknown-key');
    expect(jwksLoads - loads).toBeLessThanOrEqual(1);
  });

  it('verifies a token signature once, then serves it from the cache', async () => {
    const verifier = newVerifier();
    const token = await sign(claims());
    const first = await verifier.verify(token);
    const loadsBefore = jwksLoads;
    expect(await verifier.verify(token)).toBe(first); // the same object: no second verification
    expect(jwksLoads).toBe(loadsBefore);
  });
});
