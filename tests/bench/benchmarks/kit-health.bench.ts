/**
 * The kit's Fastify base (request ids, metrics histogram, problem handlers, probes) serving
 * /health, against a bare Fastify hello-world: what the shared runtime costs each request.
 */
import { createServiceApp } from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import Fastify from 'fastify';
import type { Benchmark } from '../harness.ts';
import { interleave } from '../harness.ts';
import { requestsPerSecond } from '../http-load.ts';

const benchmark: Benchmark = {
  name: 'kit-health-vs-bare-fastify',
  goal: '>= 0.7 x bare Fastify (req/s)',
  minRatio: 0.7,
  needsStack: false,
  async run(context) {
    const kitApp = createServiceApp({ service: 'bench', logger: createSilentLogger('bench') });
    const bare = Fastify({ logger: false });
    bare.get('/health', async () => ({ status: 'ok' }));
    const kitUrl = `${await kitApp.listen({ host: '127.0.0.1', port: 0 })}/health`;
    const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/health`;
    try {
      const rates = await interleave(
        context,
        (durationMs) => requestsPerSecond({ url: kitUrl, durationMs }),
        (durationMs) => requestsPerSecond({ url: bareUrl, durationMs }),
      );
      return {
        parley: { label: 'kit /health', value: rates.parley, unit: 'req/s' },
        reference: { label: 'bare Fastify /health', value: rates.reference, unit: 'req/s' },
      };
    } finally {
      await kitApp.close();
      await bare.close();
    }
  },
};

export default benchmark;
