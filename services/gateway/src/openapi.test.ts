/**
 * The gateway's OpenAPI document (/documentation/json) against the app as the fixture builds it:
 * valid 3.1, every route in it with its request and response schemas and an operation id the
 * SDK is named by, and each route's documented security what its guards really enforce.
 */
import { checkDocumentedSecurity, checkOpenApiCoverage, freePort } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, openGatewayFixture } from './testing/gateway-fixture.ts';

let f: GatewayFixture;
beforeAll(async () => {
  // No service behind it: every documented route must still answer as its security says.
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  f = await openGatewayFixture({ AUTH_URL: nowhere, COMPLIANCE_URL: nowhere });
});
afterAll(async () => {
  await f?.close();
});

describe('the gateway OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and documents every route with its schemas', async () => {
    // The public API lives under /api/v1 (the services' own APIs under /v1).
    const { findings, operations, document } = await checkOpenApiCoverage(f.app, { apiPrefix: '/api/v1' });
    // @fastify/cors answers preflights on a hidden `OPTIONS *` route: a protocol detail of CORS,
    // not an operation of the API, and the only route the document leaves out.
    // The web client's files (src/web-client.ts: `/`, `/index.html`, `/assets/*`) are pages, not
    // operations: hidden from the document as well, and served at the root.
    const apiFindings = findings.filter(
      (finding) => !/^(GET|HEAD) \/(index\.html|assets\/\S+)?: /.test(finding),
    );
    const preflight = ['OPTIONS *: not under /api/v1', 'OPTIONS *: not in the document'];
    expect(apiFindings.filter((finding) => !preflight.includes(finding))).toEqual([]);
    expect(apiFindings.length).toBeLessThanOrEqual(2);
    expect(operations).toBeGreaterThanOrEqual(50);
    expect(document.paths['/api/v1/tenants/{tenant}/login']?.post).toMatchObject({
      operationId: 'signIn',
      security: [],
      'x-internal': false,
    });
    // The audit signing keys are public: no token, so an auditor outside the tenant can get them.
    expect(document.paths['/api/v1/tenants/{tenant}/audit/signing-keys']?.get).toMatchObject({
      operationId: 'getAuditSigningKeys',
      security: [],
    });
    expect(document.paths['/api/v1/me']?.get).toMatchObject({
      operationId: 'getProfile',
      security: [{ bearer: [] }],
    });
  });

  it('says a credential is needed exactly where a caller without one is refused', async () => {
    const { document } = await checkOpenApiCoverage(f.app);
    expect(await checkDocumentedSecurity(f.app, document)).toEqual([]);
  });
});
