// The per-tenant key cache: each token's key id names the one tenant whose key set is loaded, and
// forged key ids naming made-up tenants cannot make a client fetch without bound.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { httpJwksSource } from './http-jwks-source.ts';
import { JwksCache, tenantOfKeyId } from './jwks-cache.ts';
import { type TokenRejectedError, TokenVerifier } from './token-verifier.ts';

const ISSUER = 'https://auth.parley.test';
const AUDIENCE = 'parley';

async function tenantKeys(tenant: string) {
  const pair = await generateKeyPair('Ed25519');
  const kid = `${tenant}.1.k1`;
  const jwks: JSONWebKeySet = {
    keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA', use: 'sig' }],
  };
  const sign = (tid = tenant, signingKid = kid) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ tid, sid: randomUUID(), roles: ['member'], amr: ['pwd'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: signingKid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(pair.privateKey);
  };
  return { jwks, sign };
}

function verifierOver(cache: JwksCache): TokenVerifier {
  return new TokenVerifier({
    jwks: cache,
    revocations: { isRevoked: () => false },
    issuer: ISSUER,
    audience: AUDIENCE,
  });
}

describe('per-tenant JWKS', () => {
  it("loads only the key set of the tenant a token's key id names", async () => {
    const acme = await tenantKeys('acme');
    const asked: string[] = [];
    const cache = new JwksCache({
      source: async (tenant) => {
        asked.push(tenant);
        return tenant === 'acme' ? acme.jwks : { keys: [] };
      },
    });
    const verifier = verifierOver(cache);
    await expect(verifier.verify(await acme.sign())).resolves.toMatchObject({ tid: 'acme' });
    await verifier.verify(await acme.sign());
    expect(asked).toEqual(['acme']);
  });

  it('forged key ids naming made-up tenants cannot make the client fetch without bound', async () => {
    const forger = await tenantKeys('forger');
    let loads = 0;
    const cache = new JwksCache({
      source: async () => {
        loads += 1;
        return { keys: [] };
      },
      newTenantLoadsPerSecond: 5,
    });
    const verifier = verifierOver(cache);
    const reasons = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const tenant = `madeup${i}`;
      try {
        await verifier.verify(await forger.sign(tenant, `${tenant}.1.k1`));
      } catch (error) {
        reasons.add((error as TokenRejectedError).reason);
      }
    }
    expect([...reasons]).toEqual(['unknown-key']);
    expect(loads).toBeLessThanOrEqual(5);
  });

  it('reads the tenant from a key id only when it names one', () => {
    expect(tenantOfKeyId('acme.1.k1')).toBe('acme');
    expect(tenantOfKeyId('k9')).toBeUndefined();
    expect(tenantOfKeyId('../admin.1.k')).toBeUndefined();
    expect(tenantOfKeyId('platform.1.k')).toBeUndefined();
    expect(tenantOfKeyId(undefined)).toBeUndefined();
  });

  it('refuses a JWKS URL without {tenant}: there is no key set of every tenant to fetch', () => {
    expect(() => httpJwksSource('http://auth:3007/.well-known/jwks.json')).toThrow(/\{tenant\}/);
  });
});
