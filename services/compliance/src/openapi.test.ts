/**
 * The compliance service's OpenAPI document (/documentation/json) against the app as the fixture
 * builds it: valid 3.1, every route in it with its request and response schemas, and each
 * route's documented security what the route really enforces (the service credential everywhere
 * but the audit public keys).
 */
import { checkDocumentedSecurity, checkOpenApiCoverage } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComplianceFixture, openComplianceFixture } from './testing/compliance-fixture.ts';

let f: ComplianceFixture;
beforeAll(async () => {
  f = await openComplianceFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('the compliance service OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and documents every route with its request and response schemas', async () => {
    const { findings, operations, document } = await checkOpenApiCoverage(f.app);
    expect(findings).toEqual([]);
    // 29 routes and the 3 probes on the day this was written: the check did not run over nothing.
    expect(operations).toBeGreaterThanOrEqual(32);
    expect(document.paths['/v1/audit/signing-keys']?.get).toMatchObject({
      security: [],
      'x-internal': false,
    });
    // The roles of the requirement are the services whose credential the route accepts.
    expect(document.paths['/v1/tenants/{tenant}/audit/records']?.post).toMatchObject({
      security: [{ serviceToken: ['gateway', 'auth', 'messaging', 'socket', 'media', 'search', 'notifier'] }],
      'x-internal': true,
    });
    expect(document.paths['/v1/tenants/{tenant}/audit/records']?.get?.security).toEqual([
      { serviceToken: ['gateway'] },
    ]);
  });

  it('says a credential is needed exactly where a caller without one is refused', async () => {
    const { document } = await checkOpenApiCoverage(f.app);
    expect(await checkDocumentedSecurity(f.app, document)).toEqual([]);
  });
});
