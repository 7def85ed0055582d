/**
 * The gateway as a client meets it (through the SDK, over real HTTP), in front of the real auth
 * and compliance services: sign-in by path and by host, the profile and sessions, logout that
 * takes effect at once, tenant admins' audit, legal holds and retention, a person's own GDPR
 * export, suspended and unknown tenants, a service that is down, and bad input.
 */

import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { parsePublicKey, verifyCheckpointSignature } from '@parley/audit-chain';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { openGatewayFixture } from '@parley/gateway-service/testing';
import { freePort } from '@parley/kit/testing';
import { createParleyClient } from '@parley/sdk';
import { writeTenantRuntimeRecord } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack } from './gateway-stack.ts';

let stack: GatewayStack;
const ORIGIN = 'https://chat.example';

beforeAll(async () => {
  stack = await openGatewayStack({ CORS_ORIGINS: `${ORIGIN},https://admin.chat.example` });
});
afterAll(async () => {
  await stack?.close();
});

/** A fetch over node:http, which sends the Host header it is given. */
async function fetchWithHost(request: Request, host: string): Promise<Response> {
  const url = new URL(request.url);
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  const headers = Object.fromEntries(request.headers.entries());
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: request.method,
        headers: { ...headers, host },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (typeof value === 'string') answerHeaders.set(name, value);
          }
          resolve(
            new Response(Buffer.concat(chunks), {
              status: incoming.statusCode ?? 500,
              headers: answerHeaders,
            }),
          );
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const runtime = (status: 'Ready' | 'Suspended') => ({
  status,
  plan: 'team',
  quotas: { users: 500, storageGiB: 100, messagesPerSecond: 50 },
  generation: 1,
});

describe('sign-in and the account through the gateway', () => {
  it('signs in by path, reads the profile and sessions, and a logout is refused at once', async () => {
    const alice = await stack.user(stack.tenantA);
    const me = await alice.client.GET('/api/v1/me');
    expect(me.response.status).toBe(200);
    expect(me.data).toMatchObject({ id: alice.userId, email: alice.email, roles: ['member'] });
    const session = await alice.client.GET('/api/v1/session');
    expect(session.data).toMatchObject({
      userId: alice.userId,
      tenant: stack.tenantA,
      sessionId: alice.sessionId,
    });
    const sessions = await alice.client.GET('/api/v1/me/sessions');
    expect(sessions.data?.sessions.map((s) => s.id)).toContain(alice.sessionId);

    const refreshed = await stack.anonymous.POST('/api/v1/tenants/{tenant}/token', {
      params: { path: { tenant: stack.tenantA } },
      body: { refreshToken: alice.refreshToken },
    });
    expect(refreshed.response.status).toBe(200);
    expect(refreshed.data?.refreshToken).not.toBe(alice.refreshToken);

    const out = await alice.client.POST('/api/v1/logout');
    expect(out.response.status).toBe(204);
    // The revocation reaches the gateway's local set (pushed through Redis): no call to auth.
    await expect
      .poll(async () => (await alice.client.GET('/api/v1/me')).response.status, { timeout: 10_000 })
      .toBe(401);
    const refused = await alice.client.GET('/api/v1/me');
    expect(refused.error).toMatchObject({ type: 'https://parley.dev/problems/unauthorized', status: 401 });
    expect(refused.response.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('takes the tenant from a configured host name, and no other host names one', async () => {
    const hosted = await openGatewayFixture({
      AUTH_URL: stack.authUrl,
      COMPLIANCE_URL: stack.complianceUrl,
      AUTH_ISSUER: stack.auth.policy.issuer,
      AUTH_AUDIENCE: stack.auth.policy.audience,
      SERVICE_TOKEN,
      TENANT_HOSTS: `${stack.tenantA}.chat.example=${stack.tenantA}`,
    });
    try {
      const bob = await stack.user(stack.tenantA);
      // fetch may not set Host (a forbidden header), so the SDK's fetch is given one that does.
      const viaHost = (host: string) =>
        createParleyClient({
          baseUrl: hosted.url,
          fetch: (request: Request) => fetchWithHost(request, host),
        });
      const signedIn = await viaHost(`${stack.tenantA}.chat.example`).POST('/api/v1/login', {
        body: { email: bob.email, password: 'correct horse battery staple' },
      });
      expect(signedIn.response.status).toBe(200);
      expect(signedIn.data).toMatchObject({ tokenType: 'Bearer' });

      const refused = await viaHost('elsewhere.example').POST('/api/v1/login', {
        body: { email: bob.email, password: 'correct horse battery staple' },
      });
      expect(refused.response.status).toBe(404);
      expect(refused.error).toMatchObject({ type: 'https://parley.dev/problems/unknown-tenant' });
    } finally {
      await hosted.close();
    }
  });
});

describe('tenant state', () => {
  it('refuses a suspended tenant with 403 on every route, token or not, and serves it again', async () => {
    const tenant = await stack.compliance.tenant();
    const carol = await stack.user(tenant, ['admin']);
    await writeTenantRuntimeRecord(stack.compliance.redis, tenant, runtime('Suspended'));

    const signIn = await stack.anonymous.POST('/api/v1/tenants/{tenant}/login', {
      params: { path: { tenant } },
      body: { email: carol.email, password: 'correct horse battery staple' },
    });
    expect(signIn.response.status).toBe(403);
    expect(signIn.error).toMatchObject({ type: 'https://parley.dev/problems/tenant-suspended' });
    for (const call of [
      carol.client.GET('/api/v1/me'),
      carol.client.GET('/api/v1/admin/users'),
      carol.client.GET('/api/v1/admin/audit/verify'),
      carol.client.POST('/api/v1/me/gdpr/exports'),
    ]) {
      const answer = await call;
      expect(answer.response.status).toBe(403);
      expect(answer.error).toMatchObject({ type: 'https://parley.dev/problems/tenant-suspended' });
    }
    await writeTenantRuntimeRecord(stack.compliance.redis, tenant, runtime('Ready'));
    expect((await carol.client.GET('/api/v1/me')).response.status).toBe(200);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const answer = await stack.anonymous.POST('/api/v1/tenants/{tenant}/login', {
      params: { path: { tenant: `nosuch${randomUUID().slice(0, 6)}` } },
      body: { email: 'a@b.example', password: 'whatever' },
    });
    expect(answer.response.status).toBe(404);
    expect(answer.error).toMatchObject({ type: 'https://parley.dev/problems/unknown-tenant' });
  });
});

describe("compliance for a tenant's admins", () => {
  it('lets admins read and verify the audit log; members are refused', async () => {
    const admin = await stack.user(stack.tenantA, ['admin']);
    const member = await stack.user(stack.tenantA);
    await stack.compliance.call('POST', `/v1/tenants/${stack.tenantA}/audit/records`, {
      source: 'auth',
      records: [
        {
          id: randomUUID(),
          occurredAt: new Date().toISOString(),
          actor: { type: 'user', id: admin.userId },
          action: 'auth.security.login-succeeded',
          resource: { type: 'session', id: admin.sessionId },
          outcome: 'success',
        },
      ],
    });
    const records = await admin.client.GET('/api/v1/admin/audit/records', {
      params: { query: { limit: 10 } },
    });
    expect(records.response.status).toBe(200);
    expect(records.data?.records.length).toBeGreaterThan(0);
    const verified = await admin.client.GET('/api/v1/admin/audit/verify');
    expect(verified.response.status).toBe(200);
    expect(verified.data).toMatchObject({ ok: true });

    const refused = await member.client.GET('/api/v1/admin/audit/records');
    expect(refused.response.status).toBe(403);
    // Revealing personal fields is a compliance officer's, not an admin's.
    const reveal = await admin.client.GET('/api/v1/admin/audit/records', {
      params: { query: { reveal: true } },
    });
    expect(reveal.response.status).toBe(403);
  });

  it('publishes the audit signing keys to anyone, and a signed checkpoint verifies with them', async () => {
    const admin = await stack.user(stack.tenantA, ['admin']);
    const signed = await admin.client.POST('/api/v1/admin/audit/checkpoints');
    expect([200, 201]).toContain(signed.response.status);
    const checkpoint = signed.data;
    // No token: an auditor outside the tenant fetches the keys apart from the proofs.
    const keys = await stack.anonymous.GET('/api/v1/tenants/{tenant}/audit/signing-keys', {
      params: { path: { tenant: stack.tenantA } },
    });
    expect(keys.response.status).toBe(200);
    expect(keys.data?.keys.map((k) => k.keyId)).toContain(checkpoint?.keyId);
    const published = keys.data?.keys.find((k) => k.keyId === checkpoint?.keyId);
    expect(
      checkpoint && published && verifyCheckpointSignature(checkpoint, parsePublicKey(published.pem)),
    ).toBe(true);
    // The same document as compliance serves it.
    const direct = await stack.compliance.call('GET', '/v1/audit/signing-keys');
    expect(direct.body).toEqual(keys.data);

    const unknown = await stack.anonymous.GET('/api/v1/tenants/{tenant}/audit/signing-keys', {
      params: { path: { tenant: `nosuch${randomUUID().slice(0, 6)}` } },
    });
    expect(unknown.response.status).toBe(404);
  });

  it("places and lifts a legal hold in the caller's name, whatever the body says", async () => {
    const officer = await stack.user(stack.tenantA, ['compliance-officer']);
    const placed = await officer.client.POST('/api/v1/admin/legal-holds', {
      body: { scope: { kind: 'tenant' }, reason: 'litigation 42' },
    });
    expect(placed.response.status).toBe(201);
    expect(placed.data?.hold.setBy).toBe(`user:${officer.userId}`);
    const forged = await officer.client.POST('/api/v1/admin/legal-holds', {
      // @ts-expect-error setBy is not part of the public body: the caller is the actor.
      body: { scope: { kind: 'tenant' }, reason: 'x', setBy: 'someone-else' },
    });
    expect(forged.response.status).toBe(400);
    const listed = await officer.client.GET('/api/v1/admin/legal-holds');
    expect(listed.data?.holds.map((h) => h.id)).toContain(placed.data?.hold.id);
    const lifted = await officer.client.POST('/api/v1/admin/legal-holds/{holdId}/lift', {
      params: { path: { holdId: placed.data?.hold.id ?? '' } },
      body: { reason: 'settled' },
    });
    expect(lifted.response.status).toBe(200);
  });

  it('stores and lists a retention policy', async () => {
    const admin = await stack.user(stack.tenantA, ['admin']);
    const put = await admin.client.PUT('/api/v1/admin/retention/policies/{name}', {
      params: { path: { name: 'default' } },
      body: { rules: [{ resource: 'messages', maxAgeSeconds: 365 * 24 * 3600 }], dryRun: true },
    });
    expect(put.response.status, JSON.stringify(put.error)).toBe(200);
    const listed = await admin.client.GET('/api/v1/admin/retention/policies');
    expect(listed.data?.policies.map((p) => p.name)).toContain('default');
  });

  it("starts a person's own export, and another person's job is not found", async () => {
    const dave = await stack.user(stack.tenantA);
    const erin = await stack.user(stack.tenantA);
    const started = await dave.client.POST('/api/v1/me/gdpr/exports');
    expect(started.response.status).toBe(202);
    expect(started.data).toMatchObject({ kind: 'export', userId: dave.userId });
    const jobId = started.data?.id ?? '';
    const mine = await dave.client.GET('/api/v1/me/gdpr/jobs/{jobId}', { params: { path: { jobId } } });
    expect(mine.response.status).toBe(200);
    const theirs = await erin.client.GET('/api/v1/me/gdpr/jobs/{jobId}', { params: { path: { jobId } } });
    expect(theirs.response.status).toBe(404);
    const list = await erin.client.GET('/api/v1/me/gdpr/jobs');
    expect(list.data?.jobs.map((j) => j.id)).not.toContain(jobId);
  });
});

describe('a service that is down', () => {
  it('answers 503 problem details for its routes only', async () => {
    const down = await openGatewayFixture({
      AUTH_URL: stack.authUrl,
      COMPLIANCE_URL: `http://127.0.0.1:${await freePort()}`,
      AUTH_ISSUER: stack.auth.policy.issuer,
      AUTH_AUDIENCE: stack.auth.policy.audience,
      SERVICE_TOKEN,
    });
    try {
      const admin = await stack.user(stack.tenantA, ['admin']);
      const client = createParleyClient({ baseUrl: down.url, accessToken: admin.accessToken });
      const audit = await client.GET('/api/v1/admin/audit/verify');
      expect(audit.response.status).toBe(503);
      expect(audit.error).toMatchObject({
        type: 'https://parley.dev/problems/service-unavailable',
        service: 'compliance',
      });
      expect(audit.response.headers.get('retry-after')).toBe('5');
      expect(JSON.stringify(audit.error)).not.toMatch(/at .*\.ts:/);
      expect((await client.GET('/api/v1/me')).response.status).toBe(200);
    } finally {
      await down.close();
    }
  });
});

describe('the public door', () => {
  it('refuses bad input with problem details, never a 5xx', async () => {
    const url = `${stack.gateway.url}/api/v1/tenants/${stack.tenantA}/login`;
    const send = (body: string, type = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
    const cases = [
      await send(JSON.stringify({ email: 'a@b.example', password: 'x', admin: true })),
      await send(JSON.stringify({ email: 42, password: 'x' })),
      await send('{"email":'),
      await send(JSON.stringify({ email: 'a@b.example', password: 'x'.repeat(300_000) })),
      await send('email=a', 'application/x-www-form-urlencoded'),
    ];
    expect(cases.map((r) => r.status)).toEqual([400, 400, 400, 413, 415]);
    for (const r of cases) {
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      const body = (await r.json()) as { type: string };
      expect(body.type).toMatch(/^https:\/\/parley\.dev\/problems\//);
    }
    const badTenant = await fetch(`${stack.gateway.url}/api/v1/tenants/NOT_A_TENANT/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@b.example', password: 'x' }),
    });
    expect(badTenant.status).toBe(400);
  });

  it('sets security headers and request ids, and CORS admits only the allow-list', async () => {
    const answer = await fetch(`${stack.gateway.url}/api/v1/me`, { headers: { origin: ORIGIN } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('x-request-id')).toBeTruthy();
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('strict-transport-security')).toContain('max-age');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);

    const preflight = await fetch(`${stack.gateway.url}/api/v1/me`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');

    const stranger = await fetch(`${stack.gateway.url}/api/v1/me`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();

    const kept = await fetch(`${stack.gateway.url}/api/v1/me`, {
      headers: { 'x-request-id': 'client-chosen-1' },
    });
    expect(kept.headers.get('x-request-id')).toBe('client-chosen-1');
  });

  it('serves its OpenAPI document and the documentation UI', async () => {
    const json = await fetch(`${stack.gateway.url}/documentation/json`);
    expect(json.status).toBe(200);
    const document = (await json.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/api/v1/tenants/{tenant}/login');
    const ui = await fetch(`${stack.gateway.url}/documentation/`, { redirect: 'follow' });
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
