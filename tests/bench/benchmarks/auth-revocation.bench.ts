/**
 * From a session's revocation in the auth service to its refusal by another process: a child
 * process serves a route guarded by auth-client (JWKS fetched from the auth service over HTTP,
 * revocations pushed over Redis); this process revokes sessions through the auth service's own
 * code and polls the child until it answers 401. The reference is a bare Redis PUBLISH to a
 * subscriber in the same run: the floor any push-based revocation stands on. Goal: p99 <= 1 s.
 *
 * Run with `--probe-server <jwks url template> <issuer> <audience>` this file is the child.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createAuthClient, requireAccessToken } from '@parley/auth-client';
import { AccessTokenIssuer } from '@parley/auth-service/domain/access-tokens';
import { openAuthFixture } from '@parley/auth-service/testing';
import { connectRedis, loadConfig, redisSettings, Type } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import Fastify from 'fastify';
import type { Benchmark } from '../harness.ts';
import { percentile } from '../harness.ts';

const SAMPLES = 40;
const BUDGET_MS = 1_000;

async function probeServer(jwksUrl: string, issuer: string, audience: string): Promise<void> {
  const redis = await connectRedis(
    loadConfig(Type.Object({ ...redisSettings })).REDIS_URL,
    createSilentLogger(),
  );
  const client = createAuthClient({ jwks: jwksUrl, redis: redis.client, issuer, audience });
  await client.start();
  const app = Fastify({ logger: false });
  app.get('/resource', { onRequest: requireAccessToken(client.verifier) }, async () => ({ ok: true }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`READY ${address}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await app.close();
    await client.stop();
    await redis.stop();
    process.exit(0);
  });
}

async function status(url: string, token: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

const benchmark: Benchmark = {
  name: 'auth-revocation-to-refusal',
  goal: 'p99 <= 1 s from revocation to refusal in another process',
  needsStack: true,
  async run() {
    const f = await openAuthFixture();
    const redis = await connectRedis(
      loadConfig(Type.Object({ ...redisSettings })).REDIS_URL,
      createSilentLogger(),
    );
    const subscriber = redis.client.duplicate();
    const child = { process: undefined as ReturnType<typeof spawn> | undefined };
    try {
      const base = await f.app.listen({ host: '127.0.0.1', port: 0 });
      await f.components.signingKeys.signerFor(f.tenant);
      f.components.signingKeys.invalidate();
      child.process = spawn(
        process.execPath,
        [
          import.meta.filename,
          '--probe-server',
          `${base}/v1/tenants/{tenant}/.well-known/jwks.json`,
          f.policy.issuer,
          f.policy.audience,
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const stdout = child.process.stdout;
      if (!stdout) throw new Error('probe has no stdout');
      const probeUrl = await new Promise<string>((resolve, reject) => {
        createInterface({ input: stdout }).on('line', (line) => {
          if (line.startsWith('READY ')) resolve(`${line.slice(6)}/resource`);
        });
        child.process?.on('exit', (code) => reject(new Error(`probe exited with ${code}`)));
      });

      const issuer = new AccessTokenIssuer(f.components.signingKeys, {
        issuer: f.policy.issuer,
        audience: f.policy.audience,
        ttlSeconds: f.policy.accessTokenTtlSeconds,
      });
      const c = await f.components.store.forTenant(f.tenant);
      const latencies: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const sessionId = randomUUID();
        const token = await issuer.issue({
          tenant: f.tenant,
          userId: 'bench-user',
          sessionId,
          roles: ['member'],
          amr: ['pwd'],
        });
        if ((await status(probeUrl, token)) !== 200) throw new Error('the probe refused a live token');
        const started = performance.now();
        const revoking = f.components.sessions.revoke(
          c,
          { _id: sessionId, userId: 'bench-user' },
          'bench',
          { type: 'system', id: 'bench' },
          {},
        );
        while ((await status(probeUrl, token)) !== 401) {
          if (performance.now() - started > 5_000) throw new Error('revocation not seen within 5 s');
        }
        latencies.push(performance.now() - started);
        await revoking;
      }

      // The floor: PUBLISH to a subscriber, in this process.
      const channel = `bench:revocation-floor:${randomUUID()}`;
      await subscriber.subscribe(channel);
      const floor: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const received = new Promise<void>((resolve) => subscriber.once('message', () => resolve()));
        const started = performance.now();
        await redis.client.publish(channel, 'x');
        await received;
        floor.push(performance.now() - started);
      }

      const p99 = percentile(latencies, 99);
      return {
        parley: { label: 'revoke -> 401 in another process (p99)', value: p99, unit: 'ms (lower is better)' },
        reference: { label: 'Redis PUBLISH -> subscriber (p99)', value: percentile(floor, 99), unit: 'ms' },
        details: {
          p50Ms: Number(percentile(latencies, 50).toFixed(2)),
          samples: SAMPLES,
          budgetMs: BUDGET_MS,
        },
        goalMet: p99 <= BUDGET_MS,
      };
    } finally {
      child.process?.stdin?.end();
      subscriber.disconnect();
      await redis.stop();
      await f.close();
    }
  },
};

export default benchmark;

if (process.argv[2] === '--probe-server' && process.argv[1] === import.meta.filename) {
  const [, , , jwksUrl, issuer, audience] = process.argv;
  await probeServer(jwksUrl as string, issuer as string, audience as string);
}
