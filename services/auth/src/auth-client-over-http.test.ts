// What the gateway does: an auth-client of its own (JWKS fetched over HTTP from the running auth
// service, revocations from Redis on its own connection) accepts the service's tokens and refuses
// a session revoked in the service within moments.
import { createAuthClient, type TokenRejectedError } from '@parley/auth-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, bearer, openAuthFixture } from './testing/auth-fixture.ts';

let f: AuthFixture;
let gateway: ReturnType<typeof createAuthClient>;
let gatewayRedis: ReturnType<AuthFixture['redis']['client']['duplicate']>;

beforeAll(async () => {
  f = await openAuthFixture();
  const base = await f.app.listen({ host: '127.0.0.1', port: 0 });
  await f.register('sam@example.com');
  gatewayRedis = f.redis.client.duplicate();
  gateway = createAuthClient({
    jwks: `${base}/v1/tenants/{tenant}/.well-known/jwks.json`,
    redis: gatewayRedis,
    issuer: f.policy.issuer,
    audience: f.policy.audience,
  });
  await gateway.start();
});
afterAll(async () => {
  await gateway?.stop();
  gatewayRedis?.disconnect();
  await f?.close();
});

describe('auth-client in another component', () => {
  it('verifies tokens with keys fetched over HTTP, and refuses a revoked session within moments', async () => {
    const tokens = await f.login('sam@example.com');
    // The tenant's first key was made after the gateway loaded the JWKS: one reload finds it.
    const claims = await gateway.verifier.verify(tokens.accessToken as string);
    expect(claims).toMatchObject({ tid: f.tenant, sid: tokens.sessionId });
    const revokedAt = Date.now();
    await f.app.inject({ method: 'POST', url: '/v1/logout', headers: bearer(tokens.accessToken) });
    let reason: string | undefined;
    while (!reason && Date.now() - revokedAt < 2_000) {
      try {
        await gateway.verifier.verify(tokens.accessToken as string);
        await new Promise((resolve) => setTimeout(resolve, 5));
      } catch (error) {
        reason = (error as TokenRejectedError).reason;
      }
    }
    expect(reason).toBe('revoked');
    // Another session of the same user is unaffected.
    const other = await f.login('sam@example.com');
    await expect(gateway.verifier.verify(other.accessToken as string)).resolves.toMatchObject({
      sid: other.sessionId,
    });
  });
});
