import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { ProblemSchema } from '../problem.ts';
import { checkDocumentedSecurity, checkOpenApiCoverage, createSilentLogger } from '../testing/index.ts';
import { createServiceApp, type ServiceApp } from './create-service-app.ts';
import { operationIdOf, TEXT_PATTERN, tagOf } from './openapi-operations.ts';
import { guardScope, securedBy } from './route-security.ts';
import { requireServiceCredential } from './service-auth.ts';

const TOKEN = 'openapi-test-token-0123456789';
let app: ServiceApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const Thing = Type.Object({ name: Type.String({ minLength: 1 }) });

/** A service with one route of each kind: open, bearer (route hook), internal (route hook and scope). */
function build() {
  app = createServiceApp({ service: 'sample', logger: createSilentLogger() });
  const bearer = securedBy('bearer', async () => {
    throw Object.assign(new Error('A bearer access token is required'), { statusCode: 401 });
  });
  app.post(
    '/v1/tenants/:tenant/things',
    {
      schema: {
        params: Type.Object({ tenant: Type.String() }),
        body: Thing,
        response: { 201: Thing, 400: ProblemSchema },
      },
    },
    async (request, reply) => reply.status(201).send(request.body),
  );
  app.get('/v1/me', { onRequest: bearer, schema: { response: { 200: Thing } } }, async () => ({
    name: 'me',
  }));
  app.get(
    '/v1/internal/things',
    { onRequest: requireServiceCredential(TOKEN), schema: { response: { 200: Type.Array(Thing) } } },
    async () => [],
  );
  app.register(
    async (scope) => {
      guardScope(scope, requireServiceCredential(TOKEN));
      scope.put(
        '/keys/:keyName',
        {
          schema: {
            params: Type.Object({ tenant: Type.String(), keyName: Type.String() }),
            querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }),
            response: { 200: Thing },
          },
        },
        async () => ({ name: 'key' }),
      );
    },
    { prefix: '/v1/tenants/:tenant' },
  );
  return app;
}

describe('the OpenAPI document every service serves', () => {
  it('is valid OpenAPI 3.1 and lists every route with its schemas, the kit probes included', async () => {
    const { document, findings, operations } = await checkOpenApiCoverage(build());
    expect(findings).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
    expect(operations).toBe(7);
    expect(Object.keys(document.paths).sort()).toEqual([
      '/health',
      '/metrics',
      '/ready',
      '/v1/internal/things',
      '/v1/me',
      '/v1/tenants/{tenant}/keys/{keyName}',
      '/v1/tenants/{tenant}/things',
    ]);
  });

  it('derives operation ids and tags from the path', async () => {
    const { document } = await checkOpenApiCoverage(build());
    expect(document.paths['/v1/tenants/{tenant}/things']?.post).toMatchObject({
      operationId: 'postThings',
      tags: ['things'],
    });
    expect(document.paths['/v1/tenants/{tenant}/keys/{keyName}']?.put).toMatchObject({
      operationId: 'putKeysByKeyName',
      tags: ['keys'],
    });
    expect(document.paths['/health']?.get).toMatchObject({ operationId: 'getHealth', tags: ['operations'] });
    expect(operationIdOf('GET', '/tenants/:tenant/.well-known/jwks.json')).toBe('getWellKnownJwksJson');
    expect(operationIdOf('POST', '/internal/tenants/:tenant/invitations')).toBe('postInternalInvitations');
    expect(tagOf('/v1/tenants/:tenant/legal-holds/:holdId/lift')).toBe('legal-holds');
  });

  it('says which credential each route takes and which routes are internal, as the guard hooks decide', async () => {
    const { document } = await checkOpenApiCoverage(build());
    expect(document.components).toMatchObject({
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        serviceToken: { type: 'apiKey', in: 'header', name: 'x-service-token' },
      },
    });
    const operation = (path: string, method: string) => document.paths[path]?.[method];
    expect(operation('/v1/tenants/{tenant}/things', 'post')).toMatchObject({
      security: [],
      'x-internal': false,
    });
    expect(operation('/v1/me', 'get')).toMatchObject({ security: [{ bearer: [] }], 'x-internal': false });
    expect(operation('/v1/internal/things', 'get')).toMatchObject({
      security: [{ serviceToken: [] }],
      'x-internal': true,
    });
    expect(operation('/v1/tenants/{tenant}/keys/{keyName}', 'put')).toMatchObject({
      security: [{ serviceToken: [] }],
      'x-internal': true,
    });
    expect(await checkDocumentedSecurity(app as ServiceApp, document)).toEqual([]);
  });

  it('states the text every service refuses: U+0000 in the request schemas, both rules in the description', async () => {
    const { document } = await checkOpenApiCoverage(build());
    const operation = document.paths['/v1/tenants/{tenant}/things']?.post;
    const body = operation?.requestBody?.content?.['application/json']?.schema as {
      properties: { name: { pattern?: string } };
      propertyNames?: { pattern: string };
    };
    expect(body.properties.name.pattern).toBe(TEXT_PATTERN);
    expect(body.propertyNames).toEqual({ pattern: TEXT_PATTERN });
    expect(operation?.parameters?.find((p) => p.name === 'tenant')?.schema).toMatchObject({
      pattern: TEXT_PATTERN,
    });
    const rule = new RegExp(TEXT_PATTERN, 'u');
    expect(['plain', 'é 😀'].every((text) => rule.test(text))).toBe(true);
    expect(rule.test('a\u0000b')).toBe(false);
    expect((document.info as { description: string }).description).toContain(
      'well-formed Unicode without U+0000',
    );
    // The route's own schema is untouched: the document is made from copies.
    const accepted = await (app as ServiceApp).inject({
      method: 'POST',
      url: '/v1/tenants/t/things',
      payload: { name: 'x' },
    });
    expect(accepted.statusCode).toBe(201);
  });

  it('answers errors as problem details, stated once as a component', async () => {
    const { document } = await checkOpenApiCoverage(build());
    const responses = document.paths['/v1/tenants/{tenant}/things']?.post?.responses ?? {};
    const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
    expect(responses['400']?.content).toEqual(problem);
    expect(responses['4XX']?.content).toEqual(problem);
    expect(responses['5XX']?.content).toEqual(problem);
    expect(document.components).toMatchObject({
      schemas: { Problem: { required: ['type', 'title', 'status'] } },
    });
    // The document describes what the route really sends.
    const refused = await (app as ServiceApp).inject({
      method: 'POST',
      url: '/v1/tenants/t/things',
      payload: { name: '' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
  });

  it('holds every route but the kit probes to the API prefix the service names', async () => {
    app = createServiceApp({ service: 'sample', logger: createSilentLogger() });
    const ok = { schema: { response: { 200: Thing } } };
    app.get('/api/v1/things', ok, async () => ({ name: 'x' }));
    app.get('/api/v10/things', ok, async () => ({ name: 'x' }));
    app.get('/v1/things', ok, async () => ({ name: 'x' }));
    const { findings } = await checkOpenApiCoverage(app, { apiPrefix: '/api/v1' });
    // The probes, /metrics and /documentation stay at the root; `/api/v10` is not `/api/v1`.
    expect(findings).toEqual(['GET /api/v10/things: not under /api/v1', 'GET /v1/things: not under /api/v1']);
  });

  it('serves the browsable UI at /documentation and the document as YAML too', async () => {
    const service = build();
    const ui = await service.inject({ url: '/documentation' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    expect(ui.body).toContain('Swagger UI');
    const yaml = await service.inject({ url: '/documentation/yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.body).toContain('openapi: 3.1.0');
  });

  it('reports a route with no response schema, and a guard the document does not know of', async () => {
    app = createServiceApp({ service: 'sample', logger: createSilentLogger() });
    app.get('/bare/:id', async () => ({}));
    app.post('/echo', { schema: { body: Thing } }, async (request) => request.body);
    app.register(async (scope) => {
      // A scope guard added by hand, not through guardScope: the document cannot see it.
      scope.addHook('onRequest', requireServiceCredential(TOKEN));
      scope.get('/hidden-guard', { schema: { response: { 200: Thing } } }, async () => ({ name: 'x' }));
    });
    const { document, findings } = await checkOpenApiCoverage(app);
    expect(findings).toEqual(
      expect.arrayContaining([
        'GET /bare/:id: no success response documented',
        'POST /echo: no success response documented',
      ]),
    );
    expect(findings.filter((finding) => finding.includes('not under'))).toEqual([
      'GET /bare/:id: not under /v1',
      'POST /echo: not under /v1',
      'GET /hidden-guard: not under /v1',
    ]);
    expect(await checkDocumentedSecurity(app, document)).toEqual([
      'GET /hidden-guard: documented as open, answered 401',
    ]);
  });
});
