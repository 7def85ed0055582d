/**
 * The OpenID issuer is a URL a tenant admin names and auth then fetches (discovery, and the JWKS,
 * token and UserInfo endpoints the document names). The attack: an admin names an internal
 * address (a loopback service, the cloud metadata address, a name resolving to loopback) to make
 * the server call it. A real HTTP server on 127.0.0.1 stands in for the internal service and
 * counts what reaches it. Without an allow-list every such issuer is a 400 problem and nothing
 * reaches the server; with the operator's OIDC_ISSUER_ALLOWED_NETWORKS naming 127.0.0.1/32 that
 * issuer works, while a document pointing its JWKS at the metadata address is still refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, bearer, openAuthFixture } from './testing/auth-fixture.ts';

let server: Server;
let port: number;
const hits: string[] = [];
let publicOnly: AuthFixture;
let onPrem: AuthFixture;
let publicOnlyAdmin: string;
let onPremAdmin: string;

/** An OpenID discovery document for `issuer`, its endpoints under `endpoints`. */
function discoveryDocument(issuer: string, endpoints: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${endpoints}/token`,
    jwks_uri: `${endpoints}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push(request.url ?? '');
    const origin = `http://127.0.0.1:${port}`;
    const documents: Record<string, object> = {
      '/.well-known/openid-configuration': discoveryDocument(origin, origin),
      // An issuer of its own whose endpoints are the cloud metadata address.
      '/metadata/.well-known/openid-configuration': discoveryDocument(
        `${origin}/metadata`,
        'http://169.254.169.254/latest/meta-data',
      ),
    };
    const document = documents[request.url ?? ''];
    response.writeHead(document ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(document ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const oidc = { stateTtlSeconds: 300, allowHttpIssuers: true };
  [publicOnly, onPrem] = await Promise.all([
    openAuthFixture({ oidc: { ...oidc, issuerAllowedNetworks: '' } }),
    openAuthFixture({ oidc: { ...oidc, issuerAllowedNetworks: '127.0.0.1/32' } }),
  ]);
  const admin = async (f: AuthFixture) => {
    await f.register('admin@example.com', ['admin']);
    return (await f.login('admin@example.com')).accessToken as string;
  };
  [publicOnlyAdmin, onPremAdmin] = await Promise.all([admin(publicOnly), admin(onPrem)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([publicOnly?.close(), onPrem?.close()]);
  await new Promise((resolve) => server?.close(resolve));
});

const configure = (f: AuthFixture, token: string, issuer: string) =>
  f.app.inject({
    method: 'PUT',
    url: '/v1/admin/sso/oidc',
    headers: bearer(token),
    payload: {
      issuer,
      clientId: 'parley',
      clientSecret: 'client-secret-0123456789',
      redirectUris: ['https://chat.example/sso/callback'],
      allowedEmailDomains: ['example.com'],
    },
  });

function expectRefused(response: Awaited<ReturnType<typeof configure>>, address: RegExp) {
  expect(response.statusCode, response.body).toBe(400);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const problem = response.json() as { type: string; detail: string };
  expect(problem.type).toBe('https://parley.dev/problems/oidc-issuer-not-public');
  expect(problem.detail).toMatch(address);
  expect(problem.detail).not.toMatch(/\n\s+at /); // a reason, never a stack
}

describe('an OpenID issuer on an address that is not public', () => {
  it.each([
    ['loopback by address', () => `http://127.0.0.1:${port}`, /127\.0\.0\.1 is a loopback address/],
    ['a name resolving to loopback', () => `http://localhost:${port}`, /loopback/],
    ['IPv6 loopback', () => `http://[::1]:${port}`, /loopback/],
    ['loopback as IPv4-mapped IPv6', () => `http://[::ffff:127.0.0.1]:${port}`, /loopback/],
    ['the unspecified address (loopback on Linux)', () => `http://0.0.0.0:${port}`, /unspecified/],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data', /linkLocal/],
    ['a private network', () => 'http://10.0.0.7', /private/],
  ])('is refused with a problem detail, and nothing is fetched: %s', async (_, issuer, address) => {
    const before = hits.length;
    expectRefused(await configure(publicOnly, publicOnlyAdmin, issuer()), address);
    expect(hits.length).toBe(before);
    const stored = await publicOnly.app.inject({
      url: '/v1/admin/sso/oidc',
      headers: bearer(publicOnlyAdmin),
    });
    expect(stored.statusCode).toBe(404);
  });
});

describe("the operator's allow-list (OIDC_ISSUER_ALLOWED_NETWORKS=127.0.0.1/32)", () => {
  it('lets the on-prem issuer in that network work', async () => {
    const before = hits.length;
    const saved = await configure(onPrem, onPremAdmin, `http://127.0.0.1:${port}`);
    expect(saved.statusCode, saved.body).toBe(200);
    expect(hits.slice(before)).toContain('/.well-known/openid-configuration');
    const started = await onPrem.app.inject({
      method: 'POST',
      url: `/v1/tenants/${onPrem.tenant}/sso/oidc/start`,
      payload: { redirectUri: 'https://chat.example/sso/callback' },
    });
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json().authorizationUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/auth\\?`));
  });

  it('still refuses an allowed issuer whose document sends the JWKS and token requests to the metadata address', async () => {
    expectRefused(
      await configure(onPrem, onPremAdmin, `http://127.0.0.1:${port}/metadata`),
      /169\.254\.169\.254 is a linkLocal address/,
    );
  });

  it('still refuses loopback addresses outside the allowed network', async () => {
    const before = hits.length;
    expectRefused(
      await configure(onPrem, onPremAdmin, `http://127.0.0.2:${port}`),
      /127\.0\.0\.2 is a loopback/,
    );
    expect(hits.length).toBe(before);
  });
});
