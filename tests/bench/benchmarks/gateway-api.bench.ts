/**
 * The gateway's public API under load, against a bare Fastify hello-world in the same run:
 * - `GET /api/v1/session`: an authenticated route the gateway answers itself (token verified
 *   locally, tenant gate, rate limits, security headers, CORS, request ids): the gateway's own
 *   hot path, which makes no network call;
 * - `GET /api/v1/conversations`: the same, proxied to the real messaging service (its Mongo
 *   read and unread counts included), reported in `details` with its own ratio.
 * The gateway and the services run in this process, in front of the real auth and messaging.
 */
import Fastify from 'fastify';
import { openGatewayStack } from '../../integration/gateway-stack.ts';
import type { Benchmark } from '../harness.ts';
import { interleave, runPair } from '../harness.ts';
import { requestsPerSecond } from '../http-load.ts';

const benchmark: Benchmark = {
  name: 'gateway-authenticated-route-vs-bare-fastify',
  goal: '>= 0.6 x bare Fastify (req/s), authenticated route the gateway answers',
  minRatio: 0.6,
  needsStack: true,
  async run(context) {
    const stack = await openGatewayStack({
      // Limits far above what the load reaches: the limiter still counts every request.
      RATE_LIMIT_USER_REQUESTS: 100_000_000,
      RATE_LIMIT_TENANT_REQUESTS_PER_MESSAGE: 1_000_000,
      // As deployed: the tenant's record from memory (the tests' fixture reads it every time).
      TENANT_STATUS_CACHE_MS: 3_000,
    });
    const bare = Fastify({ logger: false });
    bare.get('/hello', async () => ({ hello: 'world' }));
    try {
      const user = await stack.user(stack.tenantA);
      await user.client.POST('/api/v1/conversations', { body: { kind: 'group', name: 'bench' } });
      const headers = { authorization: `Bearer ${user.accessToken}` };
      const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/hello`;
      const gateway = (path: string) => (durationMs: number) =>
        requestsPerSecond({ url: `${stack.gateway.url}${path}`, durationMs, headers });
      const reference = (durationMs: number) => requestsPerSecond({ url: bareUrl, durationMs, headers });
      const own = await interleave(context, gateway('/api/v1/session'), reference);
      const proxied: number[] = [];
      const bareAgain: number[] = [];
      for (let round = 0; round < context.rounds; round++) {
        const [p, r] = await runPair(
          round,
          () => gateway('/api/v1/conversations')(context.roundMs),
          () => reference(context.roundMs),
        );
        proxied.push(p);
        bareAgain.push(r);
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
      return {
        parley: { label: 'gateway GET /api/v1/session', value: own.parley, unit: 'req/s' },
        reference: { label: 'bare Fastify hello-world', value: own.reference, unit: 'req/s' },
        details: {
          conversationsReqPerSec: Math.round(median(proxied)),
          conversationsRatio: Number((median(proxied) / median(bareAgain)).toFixed(3)),
        },
      };
    } finally {
      await bare.close();
      await stack.close();
    }
  },
};

export default benchmark;
