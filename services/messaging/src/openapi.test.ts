/**
 * The messaging service's OpenAPI document (/documentation/json) against the app as the fixture
 * builds it: valid 3.1, every route with its request and response schemas, and each route's
 * documented security (the service credential everywhere) what the route really enforces.
 */
import { checkDocumentedSecurity, checkOpenApiCoverage } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

let f: MessagingFixture;
beforeAll(async () => {
  f = await openMessagingFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('the messaging service OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and documents every route with its request and response schemas', async () => {
    const { findings, operations, document } = await checkOpenApiCoverage(f.app);
    expect(findings).toEqual([]);
    // 21 routes and the 3 probes on the day this was written.
    expect(operations).toBeGreaterThanOrEqual(24);
    expect(
      document.paths['/v1/tenants/{tenant}/conversations/{conversationId}/messages']?.post,
    ).toMatchObject({
      // The callers the route admits are the roles of its serviceToken requirement.
      security: [{ serviceToken: ['gateway', 'socket', 'integrations'] }],
      'x-internal': true,
    });
    expect(document.paths['/v1/tenants/{tenant}/conversations/{conversationId}']?.get).toMatchObject({
      security: [{ serviceToken: ['gateway', 'socket', 'media', 'integrations'] }],
    });
  });

  it('says a credential is needed exactly where a caller without one is refused', async () => {
    const { document } = await checkOpenApiCoverage(f.app);
    expect(await checkDocumentedSecurity(f.app, document)).toEqual([]);
  });
});
