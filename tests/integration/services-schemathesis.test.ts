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

// positive_data_acceptance: a request the document calls valid is not refused as invalid (400),
// so no operation is documented more loosely than it validates.
const CHECKS = [
  'not_a_server_error',
  'positive_data_acceptance',
  'response_schema_conformance',
  'content_type_conformance',
];
const SEED = 20261204;
// As in the gateway's fuzz: the fuzzing phase, a few cases per operation, bounded for CI.
const PHASES = ['examples', 'fuzzing'];
const CRYPTO_TOKEN = 'test-service-token-0123456789';
const SCIM = '/scim/v2/';
const SIGN_OUT = '^/v1/logout$';
const UNKNOWN_SECRET = 'it takes a one-time secret (a token, a sign-in state) the fuzzer cannot know';

/** How many test cases the JUnit report counts (one per operation). */
const casesOf = (junit: string) => Number(/tests="(\d+)"/.exec(junit)?.[1] ?? 0);

/** Listens (once per app) and fuzzes the app's document with the run's bounds. */
async function fuzz(
  app: ServiceApp,
  options: Pick<FuzzOptions, 'headers' | 'parameters' | 'excluded' | 'only' | 'refusals'>,
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
      refusals: [
        { operation: 'POST /v1/tenants/{tenant}/invitations/accept', statuses: [400], why: UNKNOWN_SECRET },
        {
          operation: 'POST /v1/tenants/{tenant}/password-reset/confirm',
          statuses: [400],
          why: UNKNOWN_SECRET,
        },
        { operation: 'POST /v1/tenants/{tenant}/sso/oidc/callback', statuses: [400], why: UNKNOWN_SECRET },
        {
          operation: 'PUT /v1/admin/sso/oidc',
          statuses: [400],
          why: 'the issuer must resolve to a public address (oidc-issuer-not-public): DNS decides',
        },
      ],
    });
    expect(casesOf(main.junit), main.output).toBeGreaterThanOrEqual(30);
    expect(main.code, main.output.slice(-30_000)).toBe(0);
    const scim = await fuzz(auth.app, {
      headers: { authorization: `Bearer ${String(issued.json().token)}` },
      parameters,
      only: SCIM,
      refusals: ['Users', 'Groups'].map((resource) => ({
        operation: `PATCH /v1/tenants/{tenant}/scim/v2/${resource}/{id}`,
        statuses: [400],
        why: "a PatchOp's path and value are checked against the resource's attributes (RFC 7644 3.5.2)",
      })),
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
      refusals: [
        {
          operation: 'GET /v1/tenants/{tenant}/gdpr/jobs/{jobId}/archive',
          statuses: [400],
          why: 'only an export job has an archive: the job decides, not the request',
        },
        {
          operation: 'PUT /v1/tenants/{tenant}/retention/policies/{name}',
          statuses: [400],
          why: 'rules must not overlap (one tenant-wide rule per resource), which JSON Schema cannot state',
        },
      ],
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
      refusals: [
        ...['decrypt', 'data-keys/decrypt', 'rewrap'].map((path) => ({
          operation: `POST /v1/tenants/{tenant}/${path}`,
          statuses: [400],
          why: 'a ciphertext the key did not seal fails authentication (decryption-failed)',
        })),
        {
          operation: 'PUT /v1/tenants/{tenant}/keys/{keyName}/min-decryption-version',
          statuses: [400],
          why: "the minimum cannot pass the key's primary version: the key decides",
        },
      ],
    });
    expect(casesOf(result.junit), result.output).toBeGreaterThanOrEqual(12);
    expect(result.code, result.output.slice(-30_000)).toBe(0);
  }, 400_000);
});
