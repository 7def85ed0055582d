/**
 * Prometheus metrics: prom-client's process defaults plus an HTTP duration histogram, in a
 * registry of the app's own (never the global one) so several apps can live in one test process.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { eventRefusalRegistry } from '../clients/event-refusals.ts';

export function metricPrefix(service: string): string {
  return `parley_${service.replaceAll('-', '_')}_`;
}

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: metricPrefix(service) });
  return registry;
}

export function installMetrics(app: FastifyInstance, service: string, registry: Registry): void {
  const duration = new Histogram({
    name: `${metricPrefix(service)}http_request_duration_seconds`,
    help: 'HTTP request duration in seconds, by method, route and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL, keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') {
      duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });

  const exposition = {
    tags: ['operations'],
    description: 'Prometheus metrics (text exposition format)',
    response: {
      200: {
        description: 'The metrics',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  };
  app.get('/metrics', { schema: exposition }, async (_request, reply) => {
    // Merged per scrape: the app's own metrics (some registered after this plugin) and the
    // process-wide refusal counter of relays and consumers (clients/event-refusals.ts).
    const served = Registry.merge([registry, eventRefusalRegistry]);
    reply.type(served.contentType);
    return served.metrics();
  });
}
