/**
 * A Fastify route guarded by auth-client (EdDSA signature, claims, tenant key, revocation set)
 * against the same route unguarded, requests per second with autocannon. The guard verifies a
 * token's signature once and then serves it from its cache; revocations are pushed into a local
 * set, so the hot path makes no network call.
 */
import { randomUUID } from 'node:crypto';
import { createAuthClient, requireAccessToken } from '@parley/auth-client';
import { connectRedis, loadConfig, redisSettings, Type } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Benchmark } from '../harness.ts';
import { interleave } from '../harness.ts';
import { requestsPerSecond } from '../http-load.ts';

const ISSUER = 'https://auth.bench.local';
const AUDIENCE = 'parley';

const benchmark: Benchmark = {
  name: 'auth-guarded-route-vs-unguarded',
  goal: '>= 0.8 x the same route unguarded (req/s)',
  minRatio: 0.8,
  needsStack: true,
  async run(context) {
    const tenant = `bench${Date.now().toString(36)}`;
    const kid = `${tenant}.1.bench`;
    const { publicKey, privateKey } = await generateKeyPair('Ed25519');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
    const redis = await connectRedis(
      loadConfig(Type.Object({ ...redisSettings })).REDIS_URL,
      createSilentLogger(),
    );
    const client = createAuthClient({
      jwks: async () => jwks,
      redis: redis.client,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await client.start();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tid: tenant, sid: randomUUID(), roles: ['member'], amr: ['pwd'] })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('bench-user')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .setJti(randomUUID())
      .sign(privateKey);
    const handler = async () => ({ ok: true });
    const guarded = Fastify({ logger: false });
    guarded.get('/resource', { onRequest: requireAccessToken(client.verifier) }, handler);
    const bare = Fastify({ logger: false });
    bare.get('/resource', handler);
    const headers = { authorization: `Bearer ${token}` };
    try {
      const guardedUrl = `${await guarded.listen({ host: '127.0.0.1', port: 0 })}/resource`;
      const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/resource`;
      const rates = await interleave(
        context,
        (durationMs) => requestsPerSecond({ url: guardedUrl, durationMs, headers }),
        (durationMs) => requestsPerSecond({ url: bareUrl, durationMs, headers }),
      );
      return {
        parley: { label: 'route + auth-client guard', value: rates.parley, unit: 'req/s' },
        reference: { label: 'same route, no guard', value: rates.reference, unit: 'req/s' },
      };
    } finally {
      await guarded.close();
      await bare.close();
      await client.stop();
      await redis.stop();
    }
  },
};

export default benchmark;
