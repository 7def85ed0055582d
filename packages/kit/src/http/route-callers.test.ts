/**
 * Per-route caller scopes (service-auth.ts, `perRoute`): a route names the services whose
 * credential it accepts; any other valid credential is refused 403, the OpenAPI document lists
 * the callers, and a route that names none cannot even be declared.
 */
import { describe, expect, it } from 'vitest';
import { checkDocumentedCallers, createSilentLogger, fetchOpenApiDocument } from '../testing/index.ts';
import { createServiceApp, type ServiceApp } from './create-service-app.ts';
import { guardScope } from './route-security.ts';
import { requireServiceCredential, ServiceCallers } from './service-auth.ts';

const secret = (name: string) => `${name}-a-real-secret-0123456789`;
const TOKENS = { gateway: secret('gateway'), auth: secret('auth'), messaging: secret('messaging') };

function appWithScopedRoutes(): ServiceApp {
  const app = createServiceApp({ service: 'test', logger: createSilentLogger(), readiness: {} });
  app.register(
    async (scope) => {
      guardScope(scope, requireServiceCredential(ServiceCallers.of(TOKENS), { perRoute: true }));
      scope.get('/reports', { config: { serviceCallers: ['gateway'] } }, async (request) => ({
        caller: request.serviceCaller,
      }));
      scope.post(
        '/rectifications',
        {
          config: { serviceCallers: ['auth', 'messaging'], serviceCallerBodyField: 'participant' },
          schema: {
            body: {
              type: 'object',
              properties: { participant: { type: 'string' } },
              required: ['participant'],
            },
          },
        },
        async (request) => ({ caller: request.serviceCaller }),
      );
      scope.put(
        '/parts/:participant',
        { config: { serviceCallers: ['auth', 'messaging'], serviceCallerParam: 'participant' } },
        async (request) => ({ caller: request.serviceCaller }),
      );
    },
    { prefix: '/v1' },
  );
  return app;
}

const call = (app: ServiceApp, method: 'GET' | 'PUT', url: string, caller?: keyof typeof TOKENS) =>
  app.inject({ method, url, headers: caller ? { 'x-service-token': TOKENS[caller] } : {} });

describe('routes that name their callers', () => {
  it('a valid credential of a service a route is not for is refused 403', async () => {
    const app = appWithScopedRoutes();
    const stolen = await call(app, 'GET', '/v1/reports', 'auth');
    expect(stolen.statusCode).toBe(403);
    expect(stolen.json().type).toMatch(/forbidden$/);
    expect((await call(app, 'GET', '/v1/reports', 'gateway')).json()).toEqual({ caller: 'gateway' });
    expect((await call(app, 'GET', '/v1/reports')).statusCode).toBe(401);
    // An unknown path is a 404 for a known caller, not a refusal that hints at the scopes.
    expect((await call(app, 'GET', '/v1/nothing-here', 'auth')).statusCode).toBe(404);
  });

  it('a service cannot act for another where the path names the service', async () => {
    const app = appWithScopedRoutes();
    expect((await call(app, 'PUT', '/v1/parts/auth', 'auth')).json()).toEqual({ caller: 'auth' });
    const forged = await call(app, 'PUT', '/v1/parts/auth', 'messaging');
    expect(forged.statusCode).toBe(403);
    expect(forged.json().detail).toContain('only for itself');
    expect((await call(app, 'PUT', '/v1/parts/messaging', 'gateway')).statusCode).toBe(403);
  });

  it('a service cannot act for another where the body names the service', async () => {
    const app = appWithScopedRoutes();
    const post = (caller: keyof typeof TOKENS, participant: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/rectifications',
        headers: { 'x-service-token': TOKENS[caller] },
        payload: { participant },
      });
    expect((await post('auth', 'auth')).json()).toEqual({ caller: 'auth' });
    const forged = await post('messaging', 'auth');
    expect(forged.statusCode).toBe(403);
    expect(forged.json().detail).toContain('only for itself (participant)');
  });

  it('the OpenAPI document lists the callers, and they are what the routes enforce', async () => {
    const app = appWithScopedRoutes();
    const document = await fetchOpenApiDocument(app);
    const reports = document.paths['/v1/reports']?.get;
    expect(reports?.security).toEqual([{ serviceToken: ['gateway'] }]);
    expect(reports?.description).toContain('Accepts the service credential of: gateway');
    expect(document.paths['/v1/parts/{participant}']?.put?.['x-service-caller-param']).toBe('participant');
    const { findings, checked, unscoped } = await checkDocumentedCallers(app, document, TOKENS);
    expect(findings).toEqual([]);
    expect(document.paths['/v1/rectifications']?.post?.['x-service-caller-body-field']).toBe('participant');
    expect(checked).toBe(3);
    expect(unscoped).toEqual([]);
  });

  it('a route under a per-route guard that names no callers cannot be declared', async () => {
    const app = createServiceApp({ service: 'test', logger: createSilentLogger(), readiness: {} });
    app.register(async (scope) => {
      guardScope(scope, requireServiceCredential(ServiceCallers.of(TOKENS), { perRoute: true }));
      scope.get('/forgotten', async () => ({}));
    });
    await expect(app.ready()).rejects.toThrow(/GET \/forgotten must say which services may call it/);
  });
});
