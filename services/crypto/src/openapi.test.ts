/**
 * The crypto service's OpenAPI document (/documentation/json) against the app as its tests build
 * it: valid 3.1, every route in it with its request and response schemas, and every key route
 * documented as taking the service credential, which each one enforces.
 */
import { type KeyringFixture, openKeyringFixture } from '@parley/keyring/testing';
import type { ServiceApp } from '@parley/kit';
import { checkDocumentedSecurity, checkOpenApiCoverage, createSilentLogger } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { cryptoComponents } from './testing/crypto-fixture.ts';
import { unrestrictedCaller } from './testing/test-callers.ts';

let fx: KeyringFixture;
let app: ServiceApp;
beforeAll(async () => {
  fx = await openKeyringFixture();
  app = buildApp(
    await cryptoComponents(fx, {
      logger: createSilentLogger(),
      ...unrestrictedCaller('test-service-token-0123456789'),
    }),
  );
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await fx?.close();
});

describe('the crypto service OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and documents every route with its request and response schemas', async () => {
    const { findings, operations, document } = await checkOpenApiCoverage(app);
    expect(findings).toEqual([]);
    // 12 routes and the 3 probes on the day this was written: the check did not run over nothing.
    expect(operations).toBeGreaterThanOrEqual(15);
    expect(document.paths['/v1/tenants/{tenant}/encrypt']?.post).toMatchObject({
      security: [{ serviceToken: [] }],
      'x-internal': true,
    });
  });

  it('says a credential is needed exactly where a caller without one is refused', async () => {
    const { document } = await checkOpenApiCoverage(app);
    expect(await checkDocumentedSecurity(app, document)).toEqual([]);
  });
});
