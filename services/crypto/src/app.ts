/**
 * buildApp: the crypto service's Fastify instance (never listens; main.ts does, tests inject).
 * Every route under /v1/tenants/:tenant requires the service credential; keyring errors become
 * problem details in that scope.
 */
import type { Keyring } from '@parley/keyring';
import {
  createServiceApp,
  type Logger,
  metricPrefix,
  type ReadinessCheck,
  requireServiceCredential,
  type ServiceApp,
} from '@parley/kit';
import { Counter } from 'prom-client';
import { keyringProblem } from './domain/keyring-problems.ts';
import { dataRoutes } from './routes/data-routes.ts';
import { keyRoutes } from './routes/key-routes.ts';

export interface CryptoAppDeps {
  keyring: Keyring;
  logger: Logger;
  serviceToken: string;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
}

export function buildApp(deps: CryptoAppDeps): ServiceApp {
  const app = createServiceApp({
    service: 'crypto',
    logger: deps.logger,
    readiness: deps.readiness ?? {},
    bodyLimitBytes: deps.bodyLimitBytes ?? 256 * 1024,
  });
  // Refusals by reason: a rise in decryption-failed is worth an alert (tampering, misrouted data).
  const refusals = new Counter({
    name: `${metricPrefix('crypto')}refusals_total`,
    help: 'Key operations refused, by problem type (decryption-failed, key-destroyed, ...)',
    labelNames: ['code'],
    registers: [app.metricsRegistry],
  });
  app.register(
    async (scope) => {
      scope.addHook('onRequest', requireServiceCredential(deps.serviceToken));
      // Rethrown errors reach kit's handler, which writes the problem details.
      scope.setErrorHandler((error) => {
        const problem = keyringProblem(error);
        if (problem)
          refusals.inc({ code: problem.problemType.slice(problem.problemType.lastIndexOf('/') + 1) });
        throw problem ?? error;
      });
      const scoped = scope as unknown as ServiceApp;
      keyRoutes(scoped, { keyring: deps.keyring });
      dataRoutes(scoped, { keyring: deps.keyring });
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}
