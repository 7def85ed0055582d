/**
 * Schemathesis against the internal services themselves (auth, compliance, crypto), each assembled
 * as its main.ts does (createComponents over the real stack) and listening on a real port: the
 * gateway's fuzz (gateway-schemathesis.test.ts) reaches them only through the public routes and
 * the gateway's own validation, while other callers (the operator, messaging, media, search) call
 * their internal routes directly with a service credential.
 *
 * Every case carries the service credential and, for auth, a signed-in admin's bearer token, and
 * names a Ready tenant of the run's own (and, where a route takes one, a real second user), so
 * generated cases get past the credential and the tenant gate to the handlers. Checks: no answer
 * is a server error, and every answer's body and content type are those its document gives.
 */

import { SERVICE_TOKEN as AUTH_TOKEN, type AuthFixture, openAuthFixture } from '@parley/auth-service/testing';
import {
  TEST_TOKEN as COMPLIANCE_TOKEN,
  type ComplianceFixture,
  openComplianceFixture,
} from '@parley/compliance-service/testing';
import { buildApp as buildCryptoApp } from '@parley/crypto-service/app';
import { cryptoComponents, type KeyringFixture, openKeyringFixture } from '@parley/crypto-service/testing';
import { unrestrictedCaller } from '@parley/crypto-service/testing/callers';
import type { ServiceApp } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzOptions, runSchemathesis } from './schemathesis.ts';

const CHECKS = ['not_a_server_error', 'response_schema_conformance', 'content_type_conformance'];
const SEED = 20261204;
// As in the gateway's fuzz: the fuzzing phase, a few cases per operation, bounded for CI.
const PHASES = ['examples', 'fuzzing'];
const CRYPTO_TOKEN = 'test-service-token-0123456789';
const SCIM = '/scim/v2/';
const SIGN_OUT = '^/v1/logout$';

/** How many test cases the JUnit report counts (one per operation). */
const casesOf = (junit: string) => Number(/tests="(\d+)"/.exec(junit)?.[1] ?? 0);

/** Listens (once per app) and fuzzes the app's document with the run's bounds. */
async function fuzz(
  app: ServiceApp,
  options: Pick<FuzzOptions, 'headers' | 'parameters' | 'excluded' | 'only'>,
) {
  const address = app.server.address();
  const url =
    address && typeof address === 'object'
      ? `http://127.0.0.1:${address.port}`
      : await app.listen({ host: '127.0.0.1', port: 0 });
  return runSchemathesis({
    document: `${url}/documentation/json`,
    checks: CHECKS,
    maxExamples: 3,
    seed: SEED,
    phases: PHASES,
    ...options,
  });
}

describe('schemathesis against auth', () => {
  let auth: AuthFixture;
  beforeAll(async () => {
    auth = await openAuthFixture();
  }, 120_000);
  afterAll(async () => {
    await auth?.close();
  }, 60_000);

  it('finds no server error and no answer outside its documented schema', async () => {
    await auth.register('fuzz-admin@example.com', ['member', 'admin']);
    const other = await auth.register('fuzz-other@example.com');
    const signedIn = await auth.login('fuzz-admin@example.com');
    const issued = await auth.post('/v1/admin/scim/tokens', signedIn.accessToken);
    expect(issued.statusCode, issued.body).toBe(201);
    const parameters = { 'path.tenant': auth.tenant, 'path.userId': other };
    // SCIM's routes take the tenant's SCIM token as their bearer, every other route a user's
    // access token: one run each, so both get past their credential.
    const main = await fuzz(auth.app, {
      headers: { authorization: `Bearer ${String(signedIn.accessToken)}`, 'x-service-token': AUTH_TOKEN },
      parameters,
      excluded: [
        { pathRegex: SCIM, why: 'fuzzed below with a SCIM token' },
        { pathRegex: SIGN_OUT, why: 'ends the session whose token every other case carries' },
      ],
    });
    expect(casesOf(main.junit), main.output).toBeGreaterThanOrEqual(30);
    expect(main.code, main.output.slice(-30_000)).toBe(0);
    const scim = await fuzz(auth.app, {
      headers: { authorization: `Bearer ${String(issued.json().token)}` },
      parameters,
      only: SCIM,
    });
    expect(casesOf(scim.junit), scim.output).toBeGreaterThanOrEqual(10);
    expect(scim.code, scim.output.slice(-30_000)).toBe(0);
  }, 400_000);
});

describe('schemathesis against compliance', () => {
  let compliance: ComplianceFixture;
  beforeAll(async () => {
    compliance = await openComplianceFixture();
  }, 120_000);
  afterAll(async () => {
    await compliance?.close();
  }, 60_000);

  it('finds no server error and no answer outside its documented schema', async () => {
    const tenant = await compliance.tenant();
    const result = await fuzz(compliance.app, {
      headers: { 'x-service-token': COMPLIANCE_TOKEN },
      parameters: { 'path.tenant': tenant },
    });
    expect(casesOf(result.junit), result.output).toBeGreaterThanOrEqual(15);
    expect(result.code, result.output.slice(-30_000)).toBe(0);
  }, 400_000);
});

describe('schemathesis against crypto', () => {
  let fx: KeyringFixture;
  let app: ServiceApp;
  beforeAll(async () => {
    fx = await openKeyringFixture();
    app = buildCryptoApp(await cryptoComponents(fx, unrestrictedCaller(CRYPTO_TOKEN)));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await fx?.close();
  }, 60_000);

  it('finds no server error and no answer outside its documented schema', async () => {
    const tenant = fx.uniqueTenant();
    const created = await app.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenant}/keys/default`,
      headers: { 'x-service-token': CRYPTO_TOKEN },
    });
    expect(created.statusCode).toBe(200);
    const result = await fuzz(app, {
      headers: { 'x-service-token': CRYPTO_TOKEN },
      parameters: { 'path.tenant': tenant, 'path.name': 'default' },
    });
    expect(casesOf(result.junit), result.output).toBeGreaterThanOrEqual(12);
    expect(result.code, result.output.slice(-30_000)).toBe(0);
  }, 400_000);
});
