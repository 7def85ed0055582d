/**
 * The attacks, against a real HTTP server on 127.0.0.1 standing in for an internal service: a
 * URL naming it by address or by a name that resolves to it, a name that resolves to a public
 * and a loopback address, a name that resolves to a public address when checked and to loopback
 * when connected (DNS rebinding), and a redirect from an allowed host to another one. None of
 * them may reach the server; with the operator's allow-list naming its network, it is reached.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressPolicy, EgressRefusedError } from './address-policy.ts';
import { assertReachable, createGuardedFetch, type Resolver } from './guarded-fetch.ts';

let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push(request.url ?? '');
    if (request.url === '/elsewhere') {
      response.writeHead(302, { location: `http://localhost:${port}/secret` }).end();
    } else if (request.url === '/hop') {
      response.writeHead(302, { location: '/secret' }).end();
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('internal secret');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const refusedCause = async (promise: Promise<unknown>): Promise<unknown> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  // undici wraps a connection's error in a TypeError('fetch failed') with it as the cause.
  return error instanceof EgressRefusedError ? error : (error as { cause?: unknown }).cause;
};

describe('createGuardedFetch', () => {
  it('does not reach a loopback server by address, by a name resolving to it, or at the metadata address', async () => {
    const guarded = createGuardedFetch({ policy: new AddressPolicy(), connectTimeoutMs: 2_000 });
    const before = hits.length;
    for (const url of [
      `http://127.0.0.1:${port}/secret`,
      `http://localhost:${port}/secret`,
      `http://[::ffff:127.0.0.1]:${port}/secret`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      const cause = await refusedCause(guarded(url));
      expect(cause, url).toBeInstanceOf(EgressRefusedError);
    }
    expect(hits.length).toBe(before);
    await guarded.close();
  });

  it('refuses a name with one loopback address among public ones, and a name rebound to loopback after the check', async () => {
    const mixed: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    let answers = 0;
    // The first answer (the configuration-time check) is public, every later one is loopback.
    const rebinding: Resolver = async () =>
      answers++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    const before = hits.length;
    const policy = new AddressPolicy();
    await expect(assertReachable(new URL('http://mixed.example/'), policy, mixed)).rejects.toThrow(
      /127\.0\.0\.1 is a loopback address/,
    );
    const viaMixed = createGuardedFetch({ policy, resolve: mixed });
    expect(await refusedCause(viaMixed(`http://mixed.example:${port}/secret`))).toBeInstanceOf(
      EgressRefusedError,
    );
    await assertReachable(new URL('http://rebind.example/'), policy, rebinding);
    const viaRebinding = createGuardedFetch({ policy, resolve: rebinding });
    expect(await refusedCause(viaRebinding(`http://rebind.example:${port}/secret`))).toBeInstanceOf(
      EgressRefusedError,
    );
    expect(hits.length).toBe(before);
    await Promise.all([viaMixed.close(), viaRebinding.close()]);
  });

  it('reaches an allowed network, follows a redirect on the same origin and refuses one to another host', async () => {
    const guarded = createGuardedFetch({ policy: AddressPolicy.parse('127.0.0.1/32') });
    const direct = await guarded(`http://127.0.0.1:${port}/secret`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toBe('internal secret');
    const hopped = await guarded(`http://127.0.0.1:${port}/hop`);
    expect(await hopped.text()).toBe('internal secret');
    // localhost is another host (and here an allowed address): the redirect is still not followed.
    const before = hits.length;
    const cause = await refusedCause(guarded(`http://127.0.0.1:${port}/elsewhere`));
    expect(cause).toBeInstanceOf(EgressRefusedError);
    expect(String(cause)).toMatch(/redirect .* another host/);
    expect(hits.slice(before)).toEqual(['/elsewhere']);
    // redirect: 'manual' hands the 3xx back untouched (openid-client asks so).
    const manual = await guarded(`http://127.0.0.1:${port}/elsewhere`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    await guarded.close();
  });

  it('refuses schemes other than http and https', async () => {
    await expect(assertReachable(new URL('file:///etc/passwd'), new AddressPolicy())).rejects.toThrow(
      EgressRefusedError,
    );
  });
});
