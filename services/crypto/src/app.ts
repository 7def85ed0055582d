/**
 * buildApp: the crypto service's Fastify instance over its components (never listens; main.ts
 * does, tests inject). Every route under /v1/tenants/:tenant requires a known caller's service
 * credential, and what the caller may do is scoped (domain/caller-access.ts): a key purpose only
 * for the services that own it, key management only for its admins. Keyring errors become
 * problem details.
 */
import {
  appOptions,
  createServiceApp,
  guardScope,
  metricPrefix,
  problems,
  type ServiceApp,
} from '@parley/kit';
import { Counter } from 'prom-client';
import type { CryptoComponents } from './components.ts';
import { keyringProblem } from './domain/keyring-problems.ts';
import { dataRoutes } from './routes/data-routes.ts';
import { keyRoutes } from './routes/key-routes.ts';

export function buildApp(components: CryptoComponents): ServiceApp {
  const app = createServiceApp({ bodyLimitBytes: 256 * 1024, ...appOptions('crypto', components) });
  const { access, keyring } = components;
  // Refusals by reason: a rise in decryption-failed is worth an alert (tampering, misrouted data).
  const refusals = new Counter({
    name: `${metricPrefix('crypto')}refusals_total`,
    help: 'Key operations refused, by problem type (decryption-failed, key-destroyed, ...)',
    labelNames: ['code'],
    registers: [app.metricsRegistry],
  });
  app.register(
    async (scope) => {
      // guardScope: the hook, and the OpenAPI document told that every route here takes it.
      guardScope(scope, scope.serviceCredential());
      // After validation, so the purpose read here is the one the handler will use.
      scope.addHook('preHandler', async (request) => {
        const caller = request.serviceCaller;
        const purpose = (request.body as { purpose?: unknown } | undefined)?.purpose;
        if (typeof purpose === 'string') {
          // Opening a data key is the one use a purpose's openers have (caller-access.ts).
          const opensDataKey = request.routeOptions.url?.endsWith('/data-keys/decrypt') === true;
          const allowed = opensDataKey
            ? access.mayOpenDataKey(caller, purpose)
            : access.mayUsePurpose(caller, purpose);
          if (!allowed) {
            refusals.inc({ code: 'purpose-not-owned' });
            throw problems.forbidden(`The ${caller} service may not use keys for purpose ${purpose}`);
          }
        } else if (request.method !== 'GET' && !access.mayManageKeys(caller)) {
          refusals.inc({ code: 'not-key-admin' });
          throw problems.forbidden(`The ${caller} service may not manage keys`);
        }
      });
      // Rethrown errors reach kit's handler, which writes the problem details.
      scope.setErrorHandler((error) => {
        const problem = keyringProblem(error);
        if (problem)
          refusals.inc({ code: problem.problemType.slice(problem.problemType.lastIndexOf('/') + 1) });
        throw problem ?? error;
      });
      scope.register(keyRoutes, { keyring });
      scope.register(dataRoutes, { keyring });
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}
