// The sender against a real HTTP server on 127.0.0.1 (allowed by the policy, as the tests'
// WEBHOOK_ALLOWED_NETWORKS does): the Standard Webhooks headers verify with the library, a
// receiver's 500s open the endpoint's breaker (and nothing more is sent while it is open), a
// refused address is a permanent failure that never connects, and the retry delays stay within
// their bounds.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressPolicy, createGuardedFetch, type GuardedFetch } from '@parley/egress-guard';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs, WebhookSender } from './webhook-sender.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
let server: Server;
let url: string;
let status = 204;
const got: { headers: IncomingHttpHeaders; body: string }[] = [];
let fetch: GuardedFetch;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      got.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  fetch = createGuardedFetch({ policy: AddressPolicy.parse('127.0.0.1/32') });
});

afterAll(async () => {
  await fetch.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const sender = (breakerFailures = 3) =>
  new WebhookSender({ fetch, timeoutMs: 2_000, breakerFailures, breakerOpenMs: 60_000 });

describe('WebhookSender', () => {
  it('signs by the Standard Webhooks scheme: the library verifies what arrived', async () => {
    status = 204;
    got.length = 0;
    const body = JSON.stringify({ type: 'message.created', timestamp: new Date().toISOString(), data: {} });
    const result = await sender().send('t1', { id: 'e1', url, secret: SECRET }, 'msg_1', body);
    expect(result).toMatchObject({ kind: 'delivered', statusCode: 204 });
    const [arrived] = got;
    expect(arrived?.body).toBe(body);
    expect(arrived?.headers['webhook-id']).toBe('msg_1');
    expect(arrived?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(
      new Webhook(SECRET).verify(arrived?.body ?? '', arrived?.headers as Record<string, string>),
    ).toEqual(JSON.parse(body));
  });

  it("opens the endpoint's breaker after consecutive failures; other endpoints are not affected", async () => {
    status = 500;
    got.length = 0;
    const s = sender(2);
    const target = { id: 'e2', url, secret: SECRET };
    expect(await s.send('t1', target, 'a', '{}')).toMatchObject({
      kind: 'failed',
      statusCode: 500,
      permanent: false,
    });
    expect(await s.send('t1', target, 'b', '{}')).toMatchObject({ kind: 'failed', statusCode: 500 });
    expect(await s.send('t1', target, 'c', '{}')).toEqual({ kind: 'circuit-open' });
    expect(got.length).toBe(2);
    status = 200;
    expect(await s.send('t1', { ...target, id: 'e3' }, 'd', '{}')).toMatchObject({ kind: 'delivered' });
    expect(await s.send('t2', target, 'e', '{}')).toMatchObject({ kind: 'delivered' });
  });

  it('tells the deliverer what the breaker allows: everything, nothing while open, then one probe', async () => {
    status = 500;
    got.length = 0;
    const breaks: string[] = [];
    const s = new WebhookSender({
      fetch,
      timeoutMs: 2_000,
      breakerFailures: 1,
      breakerOpenMs: 200,
      onBreak: (tenant, endpointId) => breaks.push(`${tenant}/${endpointId}`),
    });
    const target = { id: 'e6', url, secret: SECRET };
    expect(s.allowance('t1', 'e6')).toBe('closed');
    expect((await s.send('t1', target, 'p', '{}')).kind).toBe('failed');
    expect(breaks).toEqual(['t1/e6']);
    const openedAt = Date.now();
    expect(s.allowance('t1', 'e6', openedAt)).toBe('open');
    expect(s.allowance('t1', 'other', openedAt)).toBe('closed');
    // Once the open time is over (a clock 200 ms on), one probe; when it succeeds, closed again.
    expect(s.allowance('t1', 'e6', openedAt + 250)).toBe('probe');
    await new Promise((r) => setTimeout(r, 250));
    status = 204;
    expect((await s.send('t1', target, 'q', '{}')).kind).toBe('delivered');
    expect(s.allowance('t1', 'e6')).toBe('closed');
    expect(got.map((g) => g.headers['webhook-id'])).toEqual(['p', 'q']);
  });

  it('refuses an address the policy does not allow, for good, without connecting', async () => {
    const strict = createGuardedFetch({ policy: AddressPolicy.parse('') });
    try {
      const s = new WebhookSender({
        fetch: strict,
        timeoutMs: 2_000,
        breakerFailures: 1,
        breakerOpenMs: 60_000,
      });
      got.length = 0;
      const result = await s.send('t1', { id: 'e4', url, secret: SECRET }, 'x', '{}');
      expect(result).toMatchObject({ kind: 'failed', permanent: true });
      expect(result.kind === 'failed' && result.error).toMatch(/^refused: 127\.0\.0\.1 is not reachable/);
      expect(got.length).toBe(0);
      const metadata = await s.send(
        't1',
        { id: 'e5', url: 'http://169.254.169.254/', secret: SECRET },
        'y',
        '{}',
      );
      expect(metadata).toMatchObject({ kind: 'failed', permanent: true });
      // A refusal is not the endpoint being down: the breaker (1 failure) stays closed.
      expect((await s.send('t1', { id: 'e4', url, secret: SECRET }, 'z', '{}')).kind).toBe('failed');
    } finally {
      await strict.close();
    }
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially from the initial delay, jittered below the ceiling, capped at the maximum', () => {
    expect(retryDelayMs(1, 1_000, 600_000, () => 1)).toBe(1_000);
    expect(retryDelayMs(4, 1_000, 600_000, () => 1)).toBe(8_000);
    expect(retryDelayMs(40, 1_000, 600_000, () => 1)).toBe(600_000);
    expect(retryDelayMs(4, 1_000, 600_000, () => 0.5)).toBe(4_000);
    // Never below half the initial delay, so a jitter draw near 0 is not a tight loop.
    expect(retryDelayMs(3, 1_000, 600_000, () => 0)).toBe(500);
  });
});
