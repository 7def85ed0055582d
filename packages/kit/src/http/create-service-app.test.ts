import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { ProblemError } from '../problem.ts';
import { createCapturingLogger, createSilentLogger } from '../testing/index.ts';
import { createServiceApp, type ServiceApp } from './create-service-app.ts';
import { requireServiceCredential } from './service-auth.ts';

let app: ServiceApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(readiness = {}) {
  app = createServiceApp({
    service: 'sample',
    logger: createSilentLogger(),
    readiness,
    bodyLimitBytes: 2048,
  });
  return app;
}

describe('the service base', () => {
  it('answers /health and echoes a well-formed request id', async () => {
    const response = await build().inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['x-request-id']).toBe('abc-123');
  });

  it('replaces a malformed request id with a fresh one', async () => {
    const response = await build().inject({ url: '/health', headers: { 'x-request-id': 'bad id\n' } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports readiness per dependency and 503 when one fails', async () => {
    const ready = await build({ mongodb: async () => {} }).inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    await app?.close();
    const notReady = await build({
      mongodb: async () => {},
      kafka: async () => {
        throw new Error('connection refused');
      },
    }).inject({ url: '/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({
      status: 'not-ready',
      checks: { mongodb: { ok: true }, kafka: { ok: false, error: 'connection refused' } },
    });
  });

  it('serves Prometheus metrics with an HTTP duration histogram', async () => {
    const service = build();
    await service.inject({ url: '/health' });
    const metrics = await service.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('parley_sample_http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('route="/health"');
    expect(metrics.body).toContain('parley_sample_process_cpu_seconds_total');
  });

  it('answers invalid input with problem details naming each field', async () => {
    const service = build();
    service.post(
      '/things',
      { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }), size: Type.Integer() }) } },
      async (request) => request.body,
    );
    const response = await service.inject({ method: 'POST', url: '/things', payload: { name: '' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const problem = response.json();
    expect(problem).toMatchObject({ type: 'https://parley.dev/problems/validation', status: 400 });
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: 'body', message: "must have property 'size'" },
        { path: 'body/name', message: expect.stringContaining('fewer than 1') },
      ]),
    );
  });

  it('answers malformed JSON and oversized bodies as client errors', async () => {
    const service = build();
    service.post('/echo', async (request) => request.body);
    const malformed = await service.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().type).toBe('https://parley.dev/problems/bad-request');
    const huge = await service.inject({ method: 'POST', url: '/echo', payload: { blob: 'x'.repeat(4096) } });
    expect(huge.statusCode).toBe(413);
  });

  it('never reveals a stack trace or an internal message', async () => {
    const { logger, lines } = createCapturingLogger();
    app = createServiceApp({ service: 'sample', logger });
    app.get('/boom', async () => {
      throw new Error('secret internal detail at db.ts:42');
    });
    const response = await app.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internal detail');
    expect(response.json()).toMatchObject({ type: 'https://parley.dev/problems/internal', status: 500 });
    expect(lines().some((line) => line.msg === 'request failed')).toBe(true);
  });

  it('answers a thrown ProblemError with its own status and type', async () => {
    const service = build();
    service.get('/gone', async () => {
      throw new ProblemError(410, 'key-destroyed', 'Key destroyed', 'Key version 3 was destroyed');
    });
    const response = await service.inject({ url: '/gone' });
    expect(response.statusCode).toBe(410);
    expect(response.json()).toMatchObject({
      type: 'https://parley.dev/problems/key-destroyed',
      detail: 'Key version 3 was destroyed',
      instance: '/gone',
    });
  });

  it('answers an unknown route with a 404 problem', async () => {
    const response = await build().inject({ url: '/nowhere?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ detail: 'No route for GET /nowhere' });
  });

  it('refuses internal routes without the service credential', async () => {
    const service = build();
    service.get(
      '/internal',
      { onRequest: requireServiceCredential('s3cr3t-service-token') },
      async () => 'ok',
    );
    expect((await service.inject({ url: '/internal' })).statusCode).toBe(401);
    const wrong = await service.inject({ url: '/internal', headers: { 'x-service-token': 'guess' } });
    expect(wrong.statusCode).toBe(401);
    const right = await service.inject({
      url: '/internal',
      headers: { 'x-service-token': 's3cr3t-service-token' },
    });
    expect(right.statusCode).toBe(200);
  });
});

describe('refusals before any route runs', () => {
  it('answers a known path asked with another method 405 with Allow, before reading a body', async () => {
    const service = build();
    service.post('/things/:id', async () => ({}));
    service.get('/things/:id', async () => ({}));
    const wrong = await service.inject({ method: 'DELETE', url: '/things/7' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD, POST');
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.json()).toMatchObject({
      type: 'https://parley.dev/problems/method-not-allowed',
      status: 405,
    });
    // QUERY carries a body; without a content type Fastify would refuse it 400 on the not-found route.
    const query = await service.inject({ method: 'QUERY', url: '/things/7' });
    expect(query.statusCode).toBe(405);
    expect((await service.inject({ method: 'DELETE', url: '/elsewhere' })).statusCode).toBe(404);
  });

  it('answers a path parameter over the router limit and a malformed URL as problem details', async () => {
    const service = build();
    service.get('/things/:id', async () => ({}));
    const long = await service.inject({
      url: `/things/${'x'.repeat(101)}`,
      headers: { 'x-request-id': 'r-1' },
    });
    expect(long.statusCode).toBe(414);
    expect(long.headers['content-type']).toContain('application/problem+json');
    expect(long.headers['x-request-id']).toBe('r-1');
    expect(long.json()).toMatchObject({ type: 'https://parley.dev/problems/uri-too-long', status: 414 });
    expect(long.body).not.toContain('xxxx');
    const malformed = await service.inject({ url: '/things/%E0%A4%A' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ type: 'https://parley.dev/problems/bad-request', status: 400 });
  });
});

describe('text a store could not keep as received', () => {
  it('refuses U+0000 and unpaired surrogates in the body, query, path and keys before validation', async () => {
    const service = build();
    let handled = 0;
    service.post('/things/:id', async () => {
      handled++;
      return {};
    });
    const refused = async (url: string, payload: string) => {
      const response = await service.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      return response.json();
    };
    expect(await refused('/things/1', '{"name":"a\\u0000b"}')).toMatchObject({
      type: 'https://parley.dev/problems/validation',
      errors: [{ path: 'body/name', message: 'must be well-formed Unicode without U+0000' }],
    });
    expect((await refused('/things/1', '{"list":[{"deep":"\\ud803"}]}')).errors).toEqual([
      { path: 'body/list/0/deep', message: expect.any(String) },
    ]);
    expect((await refused('/things/1', '{"k\\u0000":1}')).errors[0].path).toBe('body');
    expect((await refused('/things/1?q=%00', '{}')).errors[0].path).toBe('querystring/q');
    expect((await refused('/things/a%00b', '{}')).errors[0].path).toBe('params/id');
    expect(handled).toBe(0);
    const fine = await service.inject({
      method: 'POST',
      url: '/things/1',
      payload: { name: 'a\\u0000 é 😀' },
    });
    expect(fine.statusCode).toBe(200);
    expect(handled).toBe(1);
  });

  it('lets a body a parser hands over as a stream through, and walks a cyclic body once', async () => {
    app = createServiceApp({ service: 'sample', logger: createSilentLogger() });
    app.register(async (scope) => {
      // An upload passed through as the stream it is (its internals refer back to themselves).
      scope.addContentTypeParser('application/octet-stream', (_request, payload, done) =>
        done(null, payload),
      );
      // A parser that makes a body which refers to itself, with bad text one level down.
      scope.addContentTypeParser('application/x-cyclic', { parseAs: 'string' }, (_request, text, done) => {
        const body: Record<string, unknown> = { name: text };
        body.self = body;
        body.list = [body, { inner: body }];
        done(null, body);
      });
      scope.post('/upload', async (request) => {
        let bytes = 0;
        for await (const chunk of request.body as AsyncIterable<Buffer>) bytes += chunk.length;
        return { bytes };
      });
      scope.post('/cyclic', async () => ({ handled: true }));
    });
    const upload = await app.inject({
      method: 'POST',
      url: '/upload',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from('bytes\u0000with a NUL are fine here'),
    });
    expect(upload.statusCode).toBe(200);
    expect(upload.json()).toEqual({ bytes: 30 });
    const cyclic = (payload: string) =>
      app?.inject({
        method: 'POST',
        url: '/cyclic',
        headers: { 'content-type': 'application/x-cyclic' },
        payload,
      });
    expect((await cyclic('fine'))?.statusCode).toBe(200);
    const refused = await cyclic('a\u0000b');
    expect(refused?.statusCode).toBe(400);
    expect(refused?.json().errors[0].path).toBe('body/name');
  });

  it('walks a deeply nested body without exhausting the stack', async () => {
    app = createServiceApp({ service: 'sample', logger: createSilentLogger() });
    app.post('/deep', async () => ({}));
    const depth = 50_000;
    const payload = `${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`;
    const response = await app.inject({
      method: 'POST',
      url: '/deep',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().type).toBe('https://parley.dev/problems/validation');
  });
});
