/**
 * The transport against real local HTTP servers that misbehave on purpose: what is retried and
 * what is not (idempotent or never sent), the credential and request id on every attempt,
 * problem details as typed errors, timeouts, refused connections and the circuit breaker.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitState } from 'cockatiel';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceProblemError, ServiceUnavailableError } from './service-errors.ts';
import { ServiceHttp } from './service-http.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

function listen(handler: Handler, port = 0): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => handler(req, res, body));
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    );
  });
}

const serve = async (handler: Handler) => (await listen(handler)).baseUrl;

/** A port nothing listens on (yet): taken from the OS, then released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const problem = (res: ServerResponse, status: number, slug: string, extra: object = {}) => {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(
    JSON.stringify({
      type: `https://parley.dev/problems/${slug}`,
      title: `title of ${slug}`,
      status,
      detail: `detail of ${slug}`,
      ...extra,
    }),
  );
};
const ok = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const TOKEN = 'secret-token-123456';
const transport = (baseUrl: string, options: Partial<ConstructorParameters<typeof ServiceHttp>[0]> = {}) =>
  new ServiceHttp({ service: 'crypto', baseUrl, serviceToken: TOKEN, initialBackoffMs: 1, ...options });

describe('ServiceHttp', () => {
  it('retries an idempotent call on transient failures, with the credential and one request id on every attempt', async () => {
    const seen: { token: unknown; requestId: unknown }[] = [];
    const baseUrl = await serve((req, res) => {
      seen.push({ token: req.headers['x-service-token'], requestId: req.headers['x-request-id'] });
      if (seen.length < 3) return problem(res, 503, 'service-unavailable');
      ok(res, { ok: true });
    });
    const http = transport(baseUrl, { requestId: () => 'req-42' });
    expect(await http.request('GET', '/x')).toEqual({ ok: true });
    expect(seen).toEqual(Array.from({ length: 3 }, () => ({ token: TOKEN, requestId: 'req-42' })));
  });

  it("a call's own request id wins over the transport's", async () => {
    let requestId: unknown;
    const baseUrl = await serve((req, res) => {
      requestId = req.headers['x-request-id'];
      ok(res, {});
    });
    await transport(baseUrl, { requestId: () => 'ambient' }).request('GET', '/x', undefined, {
      requestId: 'explicit',
    });
    expect(requestId).toBe('explicit');
  });

  it('sends no credential when it has none (public endpoints)', async () => {
    let headers: IncomingMessage['headers'] = {};
    const baseUrl = await serve((req, res) => {
      headers = req.headers;
      ok(res, {});
    });
    await new ServiceHttp({ service: 'auth', baseUrl }).request('GET', '/jwks');
    expect(headers).not.toHaveProperty('x-service-token');
    expect(headers).not.toHaveProperty('x-request-id');
  });

  it('does not repeat a POST that may have been acted on, unless the caller says it is idempotent', async () => {
    let hits = 0;
    const baseUrl = await serve((_req, res) => {
      hits++;
      problem(res, 503, 'service-unavailable');
    });
    const http = transport(baseUrl);
    const error = await http.request('POST', '/x', { a: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceProblemError);
    expect(error).toMatchObject({ status: 503, transient: true });
    expect(hits).toBe(1);

    hits = 0;
    await http.request('POST', '/x', { a: 1 }, { idempotent: true }).catch(() => {});
    expect(hits).toBe(3);
  });

  it('repeats a POST whose connection was refused before it was sent', async () => {
    const port = await freePort();
    const bodies: string[] = [];
    let started = false;
    const http = transport(`http://127.0.0.1:${port}`, {
      attempts: 8,
      initialBackoffMs: 50,
      // The service comes up after the first refusal.
      logger: {
        warn: () => {
          if (started) return;
          started = true;
          void listen((_req, res, body) => {
            bodies.push(body);
            ok(res, { created: true });
          }, port);
        },
      },
    });
    expect(await http.request('POST', '/things', { name: 'once' })).toEqual({ created: true });
    expect(bodies).toEqual([JSON.stringify({ name: 'once' })]);
  });

  it('turns problem details into a typed error, keeping extensions, and does not retry a 4xx', async () => {
    let hits = 0;
    const baseUrl = await serve((_req, res) => {
      hits++;
      problem(res, 409, 'legal-hold', { holds: [{ id: 'h1' }] });
    });
    const error = await transport(baseUrl)
      .request('PUT', '/keys/a/destruction', { waitingDays: 7 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceProblemError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({
      service: 'crypto',
      status: 409,
      type: 'https://parley.dev/problems/legal-hold',
      title: 'title of legal-hold',
      detail: 'detail of legal-hold',
      code: 'legal-hold',
      transient: false,
      method: 'PUT',
      path: '/keys/a/destruction',
    });
    expect((error as ServiceProblemError).problem.holds).toEqual([{ id: 'h1' }]);
    expect(hits).toBe(1);
  });

  it("describes an answer that is not problem details (a proxy's page) by its status", async () => {
    const baseUrl = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>not here</html>');
    });
    const error = await transport(baseUrl)
      .request('GET', '/x')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, type: 'about:blank', code: 'http-404', title: 'Not Found' });
  });

  it('refuses a 2xx whose body is not JSON', async () => {
    const baseUrl = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>hello</html>');
    });
    const error = await transport(baseUrl)
      .request('GET', '/x')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'invalid-response' });
  });

  it('answers undefined for an empty body and gives status and headers through send()', async () => {
    const baseUrl = await serve((_req, res) => {
      res.writeHead(204, { 'x-thing': 'yes' });
      res.end();
    });
    const response = await transport(baseUrl).send({ method: 'DELETE', path: '/x' });
    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
    expect(response.headers.get('x-thing')).toBe('yes');
  });

  it('never follows a redirect (it would carry the credential elsewhere)', async () => {
    let elsewhere = 0;
    const other = await serve((_req, res) => {
      elsewhere++;
      ok(res, {});
    });
    const baseUrl = await serve((_req, res) => {
      res.writeHead(307, { location: `${other}/x` });
      res.end();
    });
    const error = await transport(baseUrl)
      .request('GET', '/x')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 307 });
    expect(elsewhere).toBe(0);
  });

  it('times out each attempt and then reports the service unavailable', async () => {
    let hits = 0;
    const baseUrl = await serve(() => {
      hits++; // never answers
    });
    const error = await transport(baseUrl, { timeoutMs: 100, attempts: 2 })
      .request('GET', '/x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, reason: 'timeout', service: 'crypto' });
    // On a loaded machine the second attempt may be aborted before the server has read it.
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(hits).toBeLessThanOrEqual(2);
  });

  it('does not repeat a POST that timed out (it may be in progress)', async () => {
    let hits = 0;
    const baseUrl = await serve(() => {
      hits++;
    });
    const error = await transport(baseUrl, { timeoutMs: 150, attempts: 3 })
      .request('POST', '/x', {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'timeout' });
    expect(hits).toBe(1);
  });

  it('reports a service nothing listens on as unavailable (unreachable)', async () => {
    const port = await freePort();
    const error = await transport(`http://127.0.0.1:${port}`, { attempts: 2 })
      .request('POST', '/x', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: 'unreachable', failure: 'ECONNREFUSED', status: 503 });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('opens the circuit after consecutive failures, then fails fast without reaching the service', async () => {
    let hits = 0;
    const baseUrl = await serve((_req, res) => {
      hits++;
      problem(res, 500, 'internal');
    });
    const http = transport(baseUrl, { attempts: 1, breakerThreshold: 3, breakerHalfOpenAfterMs: 60_000 });
    for (let i = 0; i < 3; i++) await http.request('GET', '/x').catch(() => {});
    expect(hits).toBe(3);
    expect(http.available).toBe(false);
    const error = await http.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    // The open breaker keeps the cause of the outage in view.
    expect(error).toMatchObject({ reason: 'circuit-open', failure: 'HTTP 500' });
    expect(hits).toBe(3);
  });

  it('counts one failed call once against the breaker, however many attempts it took', async () => {
    const baseUrl = await serve((_req, res) => problem(res, 503, 'service-unavailable'));
    const http = transport(baseUrl, { attempts: 3, breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 });
    await http.request('GET', '/x').catch(() => {});
    expect(http.breaker.state).toBe(CircuitState.Closed);
    await http.request('GET', '/x').catch(() => {});
    expect(http.breaker.state).toBe(CircuitState.Open);
  });

  it("does not hold a client error against the target's breaker", async () => {
    const baseUrl = await serve((_req, res) => problem(res, 404, 'not-found'));
    const http = transport(baseUrl, { breakerThreshold: 2 });
    for (let i = 0; i < 5; i++) await http.request('GET', '/x').catch(() => {});
    expect(http.available).toBe(true);
  });

  it('closes the circuit again once a trial call succeeds', async () => {
    let failing = true;
    const baseUrl = await serve((_req, res) => (failing ? problem(res, 502, 'bad-gateway') : ok(res, {})));
    const http = transport(baseUrl, { attempts: 1, breakerThreshold: 1, breakerHalfOpenAfterMs: 100 });
    await http.request('GET', '/x').catch(() => {});
    expect(http.available).toBe(false);
    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await http.request('GET', '/x')).toEqual({});
    expect(http.breaker.state).toBe(CircuitState.Closed);
  });

  it('stops at once when the caller gives up, without retrying or blaming the target', async () => {
    let hits = 0;
    const baseUrl = await serve(() => {
      hits++;
    });
    const http = transport(baseUrl, { timeoutMs: 5_000, attempts: 3, breakerThreshold: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller gone')), 100);
    const error = await http.request('GET', '/x', undefined, { signal: controller.signal }).catch((e) => e);
    expect(error).toMatchObject({ message: 'caller gone' });
    expect(error).not.toBeInstanceOf(ServiceProblemError);
    expect(hits).toBe(1);
    expect(http.available).toBe(true);
  });
});

describe("ServiceHttp.sendRaw (a proxy's call)", () => {
  it('hands back status, headers and bytes as they came, a 4xx and a 3xx included, neither retried nor held against the breaker', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 0x7b]);
    let hits = 0;
    const baseUrl = await serve((req, res) => {
      hits++;
      if (req.url === '/bytes') {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-disposition': 'attachment',
        });
        return res.end(bytes);
      }
      if (req.url === '/moved') {
        res.writeHead(303, { location: '/elsewhere' });
        return res.end();
      }
      problem(res, 429, 'rate-limited', { retryAfter: 3 });
    });
    const http = transport(baseUrl, { breakerThreshold: 1 });
    const got = await http.sendRaw({ method: 'GET', path: '/bytes' });
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
    expect(got.headers.get('content-disposition')).toBe('attachment');

    const moved = await http.sendRaw({ method: 'GET', path: '/moved' });
    expect(moved).toMatchObject({ status: 303 });
    expect(moved.headers.get('location')).toBe('/elsewhere');
    expect(moved.body.length).toBe(0);

    hits = 0;
    const refused = await http.sendRaw({ method: 'GET', path: '/limited' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(refused.body.toString())).toMatchObject({
      type: 'https://parley.dev/problems/rate-limited',
      retryAfter: 3,
    });
    expect(hits).toBe(1);
    expect(http.available).toBe(true);
  });

  it('carries the credential, the request id and the JSON body like send()', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string } | undefined;
    const baseUrl = await serve((req, res, body) => {
      seen = { headers: req.headers, body };
      ok(res, {});
    });
    await transport(baseUrl).sendRaw({
      method: 'POST',
      path: '/x?y=1',
      body: { a: 1 },
      requestId: 'req-raw',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(seen?.headers).toMatchObject({
      'x-service-token': TOKEN,
      'x-request-id': 'req-raw',
      'x-forwarded-for': '203.0.113.9',
      'content-type': 'application/json',
    });
    expect(seen?.body).toBe('{"a":1}');
  });

  it('retries an idempotent call on a 5xx and answers the recovered bytes; a POST is tried once', async () => {
    let hits = 0;
    const baseUrl = await serve((_req, res) => {
      hits++;
      if (hits % 3 !== 0) return problem(res, 503, 'service-unavailable');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('third time');
    });
    const http = transport(baseUrl);
    const got = await http.sendRaw({ method: 'GET', path: '/x' });
    expect(got.body.toString()).toBe('third time');
    expect(hits).toBe(3);

    hits = 0;
    const error = await http.sendRaw({ method: 'POST', path: '/x', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceProblemError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'service-unavailable' });
    expect(hits).toBe(1);
  });

  it('opens the same breaker on 5xx answers and unreachable targets', async () => {
    let hits = 0;
    const baseUrl = await serve((_req, res) => {
      hits++;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const http = transport(baseUrl, { attempts: 1, breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 });
    for (let i = 0; i < 2; i++) await http.sendRaw({ method: 'GET', path: '/x' }).catch(() => {});
    // JSON calls and raw calls share the target's breaker.
    const error = await http.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'circuit-open', failure: 'HTTP 502' });
    expect(hits).toBe(2);

    const port = await freePort();
    const unreachable = await transport(`http://127.0.0.1:${port}`, { attempts: 2 })
      .sendRaw({ method: 'GET', path: '/x' })
      .catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ reason: 'unreachable', failure: 'ECONNREFUSED', status: 503 });
  });
});
