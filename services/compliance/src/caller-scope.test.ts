/**
 * Which service may call which compliance route, on the real servers: each route admits only the
 * services routes/route-callers.ts names. Before, every known credential opened every route, so
 * a leaked credential of any service (the notifier's, say) read every tenant's audit log, placed
 * or lifted legal holds and started erasures.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PARLEY_SERVICE_NAMES, type ServiceApp, ServiceCallers } from '@parley/kit';
import { checkDocumentedCallers, fetchOpenApiDocument } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLIANCE_ROUTE_CALLERS } from './routes/route-callers.ts';
import { auditInput, type ComplianceFixture, openComplianceFixture } from './testing/compliance-fixture.ts';

const TOKENS = Object.fromEntries(
  PARLEY_SERVICE_NAMES.map((name) => [name, `${name}-credential-${randomBytes(12).toString('hex')}`]),
) as Record<(typeof PARLEY_SERVICE_NAMES)[number], string>;
type Caller = keyof typeof TOKENS;

let f: ComplianceFixture;
let app: ServiceApp;
beforeAll(async () => {
  f = await openComplianceFixture();
  app = f.newApp({ callers: ServiceCallers.of(TOKENS) });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await f?.close();
});

async function call(caller: Caller, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const response = await app.inject({
    method,
    url,
    headers: { 'x-service-token': TOKENS[caller] },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.json() };
}

describe('what each service credential opens at the compliance service', () => {
  it("the auth service's credential cannot read the audit log it writes to, place a hold or start an erasure", async () => {
    const tenant = await f.tenant();
    const record = auditInput({ metadata: { secretish: 'only for compliance officers' } });
    const appended = await call('auth', 'POST', `/v1/tenants/${tenant}/audit/records`, {
      source: 'auth',
      records: [record],
    });
    expect(appended.status).toBe(202);

    const read = await call('auth', 'GET', `/v1/tenants/${tenant}/audit/records`);
    expect(read.status).toBe(403);
    expect(read.body.type).toBe('https://parley.dev/problems/forbidden');
    expect(JSON.stringify(read.body)).not.toContain('only for compliance officers');
    expect((await call('auth', 'GET', `/v1/tenants/${tenant}/audit/verify`)).status).toBe(403);

    const hold = { scope: { kind: 'tenant' }, reason: 'forged by a leaked credential', setBy: 'x' };
    expect((await call('auth', 'POST', `/v1/tenants/${tenant}/legal-holds`, hold)).status).toBe(403);
    const erasure = { userId: 'u-victim', requestedBy: 'x' };
    expect((await call('notifier', 'POST', `/v1/tenants/${tenant}/gdpr/erasures`, erasure)).status).toBe(403);

    // Nothing happened: the public API (the gateway) sees the record, no hold and no job.
    const byGateway = await call('gateway', 'GET', `/v1/tenants/${tenant}/audit/records`);
    expect(byGateway.status).toBe(200);
    expect(JSON.stringify(byGateway.body)).toContain(record.id);
    const holds = await call('gateway', 'GET', `/v1/tenants/${tenant}/legal-holds?includeLifted=true`);
    expect(holds.status).toBe(200);
    expect(JSON.stringify(holds.body)).not.toContain('forged by a leaked credential');
    const jobs = await call('gateway', 'GET', `/v1/tenants/${tenant}/gdpr/jobs`);
    expect(jobs.status).toBe(200);
    expect(JSON.stringify(jobs.body)).not.toContain('u-victim');
  });

  it("a participant's credential cannot report another participant's export part or rectification", async () => {
    const tenant = await f.tenant();
    const jobId = randomUUID();
    const part = { data: { forged: true } };
    // A participant reports only its own part: messaging's credential cannot write auth's.
    const forged = await call(
      'messaging',
      'PUT',
      `/v1/tenants/${tenant}/gdpr/jobs/${jobId}/export-parts/auth`,
      part,
    );
    expect(forged.status).toBe(403);
    expect(forged.body.detail).toContain('only for itself');
    expect(
      (await call('gateway', 'PUT', `/v1/tenants/${tenant}/gdpr/jobs/${jobId}/export-parts/gateway`, part))
        .status,
    ).toBe(403);
    // Nor record a rectification as if another participant had made it.
    const rectification = {
      userId: 'u-rect',
      participant: 'auth',
      field: 'email',
      before: 'old@example.com',
      after: 'new@example.com',
      requestedBy: 'u-rect',
    };
    const posing = await call(
      'messaging',
      'POST',
      `/v1/tenants/${tenant}/gdpr/rectifications`,
      rectification,
    );
    expect(posing.status).toBe(403);
    expect(posing.body.detail).toContain('only for itself');
    expect(
      (await call('auth', 'POST', `/v1/tenants/${tenant}/gdpr/rectifications`, rectification)).status,
    ).toBe(201);
    // Nor register under another service's name (and so receive its erasure requests' reports).
    const register = { handles: ['export', 'erasure'], description: 'not really auth' };
    expect((await call('messaging', 'PUT', '/v1/gdpr/participants/auth', register)).status).toBe(403);
    expect(
      (await call('operator', 'POST', `/v1/tenants/${tenant}/audit/records`, { source: 'x', records: [] }))
        .status,
    ).toBe(403);
  });

  it('every route refuses every service it is not for, as the OpenAPI document says', async () => {
    const document = await fetchOpenApiDocument(app);
    const { findings, checked, unscoped } = await checkDocumentedCallers(app, document, TOKENS);
    expect(findings).toEqual([]);
    expect(unscoped).toEqual([]);
    // Every entry of the matrix is a served route (none misspelled, none left behind).
    expect(checked).toBe(Object.keys(COMPLIANCE_ROUTE_CALLERS).length);
  });
});
