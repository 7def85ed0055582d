/**
 * The crypto client's transport against a real local HTTP server that misbehaves on purpose:
 * transient failures are retried, a 4xx is not, a hung server times out, and a failing service
 * trips the circuit breaker so later calls fail fast without reaching it; every failure surfaces
 * under the crypto client's own error names. (The transport's policy in full is tested in
 * packages/service-http.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceHttp, ServiceProblemError, ServiceUnavailableError } from '@parley/service-http';
import { afterEach, describe, expect, it } from 'vitest';
import { CryptoClient, type CryptoClientOptions } from './crypto-client.ts';
import { CryptoServiceError, CryptoServiceUnavailableError } from './crypto-service-error.ts';

/** The transport a CryptoClient calls through, as its callers get it. */
const transportOf = (options: CryptoClientOptions) => new CryptoClient(options).transport;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const created = createServer(handler);
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

const problem = (res: ServerResponse, status: number, slug: string) => {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: `https://parley.dev/problems/${slug}`, title: slug, status, detail: slug }));
};

describe('crypto client transport', () => {
  it('retries transient failures and sends the service credential', async () => {
    let hits = 0;
    const tokens: unknown[] = [];
    const baseUrl = await serve((req, res) => {
      hits++;
      tokens.push(req.headers['x-service-token']);
      if (hits < 3) return problem(res, 503, 'service-unavailable');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    const transport = transportOf({
      baseUrl,
      serviceToken: 'secret-token-123456',
      initialBackoffMs: 1,
    });
    expect(await transport.request('GET', '/x')).toEqual({ ok: true });
    expect(hits).toBe(3);
    expect(tokens).toEqual(['secret-token-123456', 'secret-token-123456', 'secret-token-123456']);
  });

  it('does not retry a client error, and carries its problem code', async () => {
    let hits = 0;
    const baseUrl = await serve((_req, res) => {
      hits++;
      problem(res, 410, 'key-destroyed');
    });
    const transport = transportOf({
      baseUrl,
      serviceToken: 'secret-token-123456',
      initialBackoffMs: 1,
    });
    const error = await transport.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CryptoServiceError);
    expect(error).toMatchObject({ status: 410, code: 'key-destroyed' });
    expect(hits).toBe(1);
  });

  it('times out a hung service per attempt', async () => {
    let hits = 0;
    const baseUrl = await serve(() => {
      hits++; // never answers
    });
    const transport = transportOf({
      baseUrl,
      serviceToken: 'secret-token-123456',
      timeoutMs: 100,
      attempts: 2,
      initialBackoffMs: 1,
    });
    const error = await transport.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CryptoServiceUnavailableError);
    expect(error).toMatchObject({ reason: 'timeout' });
    // Two attempts were made; on a loaded machine the second may be aborted before the server
    // has even read it, so the server saw one or two.
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(hits).toBeLessThanOrEqual(2);
  });

  it('opens the circuit after consecutive failures and then fails fast', async () => {
    let hits = 0;
    const baseUrl = await serve((_req, res) => {
      hits++;
      problem(res, 503, 'service-unavailable');
    });
    const transport = transportOf({
      baseUrl,
      serviceToken: 'secret-token-123456',
      attempts: 1,
      breakerThreshold: 3,
      breakerHalfOpenAfterMs: 60_000,
    });
    for (let i = 0; i < 3; i++) await transport.request('GET', '/x').catch(() => {});
    expect(hits).toBe(3);
    const error = await transport.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CryptoServiceUnavailableError);
    expect(error).toMatchObject({ reason: 'circuit-open' });
    expect((error as Error).message).toMatch(/circuit breaker is open/);
    expect(hits).toBe(3);
  });

  it('an unreachable service is reported as unavailable', async () => {
    const transport = transportOf({
      baseUrl: 'http://127.0.0.1:1',
      serviceToken: 'secret-token-123456',
      attempts: 2,
      initialBackoffMs: 1,
    });
    const error = await transport.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CryptoServiceError);
    expect(error).toBeInstanceOf(CryptoServiceUnavailableError);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'service-unavailable', reason: 'unreachable' });
  });
});

describe('crypto client errors', () => {
  it("match only the crypto service's failures", async () => {
    const baseUrl = await serve((_req, res) => problem(res, 404, 'not-found'));
    const other = new ServiceHttp({ service: 'compliance', baseUrl, serviceToken: 'secret-token-123456' });
    const elsewhere = await other.request('GET', '/x').catch((e: unknown) => e);
    expect(elsewhere).toBeInstanceOf(ServiceProblemError);
    expect(elsewhere).not.toBeInstanceOf(CryptoServiceError);
    const ours = await transportOf({ baseUrl, serviceToken: 'secret-token-123456' })
      .request('GET', '/x')
      .catch((e: unknown) => e);
    expect(ours).toBeInstanceOf(CryptoServiceError);
    expect(ours).not.toBeInstanceOf(CryptoServiceUnavailableError);
  });
});
