/**
 * The auth service's OpenAPI document (/documentation/json) against the app as the fixture builds
 * it: valid 3.1, every route in it with its request and response schemas, and each route's
 * documented security what the route really enforces.
 */
import { checkDocumentedSecurity, checkOpenApiCoverage } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, openAuthFixture } from './testing/auth-fixture.ts';

let f: AuthFixture;
beforeAll(async () => {
  f = await openAuthFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('the auth service OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and documents every route with its request and response schemas', async () => {
    const { findings, operations, document } = await checkOpenApiCoverage(f.app);
    expect(findings).toEqual([]);
    // 23 routes and the 3 probes on the day this was written: the check did not run over nothing.
    expect(operations).toBeGreaterThanOrEqual(26);
    expect(document.paths['/v1/tenants/{tenant}/login']?.post).toMatchObject({
      security: [],
      'x-internal': false,
    });
    expect(document.paths['/v1/me']?.get).toMatchObject({ security: [{ bearer: [] }], 'x-internal': false });
    expect(document.paths['/v1/internal/tenants/{tenant}/invitations']?.post).toMatchObject({
      security: [{ serviceToken: [] }],
      'x-internal': true,
    });
  });

  it('says a credential is needed exactly where a caller without one is refused', async () => {
    const { document } = await checkOpenApiCoverage(f.app);
    expect(await checkDocumentedSecurity(f.app, document)).toEqual([]);
  });
});
