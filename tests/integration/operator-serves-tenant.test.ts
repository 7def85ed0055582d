/**
 * The operator and the services, joined: a Tenant applied to the real kube-apiserver is
 * provisioned by the real operator, and then the real auth and compliance services (each its own
 * process, as `npm start` runs them) serve it: the first admin's invitation is accepted, the
 * admin signs in, an audit record is appended and the log verifies. A suspension through the
 * Tenant's spec makes both refuse (403), and lifting it serves the tenant again.
 *
 * Each side used to test its own assumption of the runtime record (the operator wrote `Ready`,
 * the services' fixtures wrote `Active`), so every operator-provisioned tenant was refused and no
 * test saw it. This one reads nothing but what the other side really wrote.
 */
import { randomUUID } from 'node:crypto';
import { developmentServiceToken } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureCrdsAndNamespace,
  kubectl,
  kubectlOk,
  removeTenantTopics,
  sample,
  startTestOperator,
  type TestOperator,
  uniqueId,
  waitFor,
  waitForCondition,
} from '../../operator/test/operator-fixture.ts';
import { type ServiceProcess, startServiceProcess } from './service-process.ts';

const namespace = uniqueId('e2e-');
const tenant = uniqueId('e2e');
const admin = `alice@${tenant}.example`;
const password = 'correct horse battery staple';
/** The operator invites first admins; the gateway reads the audit log for a tenant's officers. */
const OPERATOR_TOKEN = developmentServiceToken('operator');
const GATEWAY_TOKEN = developmentServiceToken('gateway');

let op: TestOperator | undefined;
let auth: ServiceProcess | undefined;
let compliance: ServiceProcess | undefined;

beforeAll(async () => {
  await ensureCrdsAndNamespace(namespace);
  [auth, compliance] = await Promise.all([startServiceProcess('auth'), startServiceProcess('compliance')]);
  op = await startTestOperator(namespace, { AUTH_SERVICE_URL: auth.url });
}, 240_000);

afterAll(async () => {
  await kubectl(['delete', '-n', namespace, 'tenant', tenant, '--timeout=90s']);
  await op?.stop();
  await Promise.all([auth?.stop(), compliance?.stop()]);
  await removeTenantTopics([tenant]);
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
}, 180_000);

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const signIn = () => post(`${auth?.url}/v1/tenants/${tenant}/login`, { email: admin, password });
const verifyAuditLog = () =>
  get(`${compliance?.url}/v1/tenants/${tenant}/audit/verify`, { 'x-service-token': GATEWAY_TOKEN });
const appendAuditRecord = () =>
  post(
    `${compliance?.url}/v1/tenants/${tenant}/audit/records`,
    {
      source: 'auth',
      records: [
        {
          id: randomUUID(),
          occurredAt: new Date().toISOString(),
          actor: { type: 'user', id: 'u-alice' },
          action: 'auth.security.login-succeeded',
          resource: { type: 'session', id: randomUUID() },
          outcome: 'success',
        },
      ],
    },
    { 'x-service-token': developmentServiceToken('auth') },
  );

const setSuspended = (suspended: boolean) =>
  kubectlOk([
    'patch',
    '-n',
    namespace,
    'tenant',
    tenant,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { suspended } }),
  ]);

describe('a tenant the operator provisioned is served by auth and compliance', { timeout: 400_000 }, () => {
  it('accepts the invitation, signs in, audits, refuses while suspended and serves again', async () => {
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('tenant-acme.yaml', tenant, (y) =>
        y.replace('deletionPolicy: Retain', 'deletionPolicy: Delete'),
      ),
    );
    await waitForCondition(namespace, `tenant/${tenant}`, 'Ready', 'True', 150_000).catch((error: Error) => {
      throw new Error(`${error.message}\nauth output:\n${auth?.output()}`);
    });

    // The first admin's invitation, reissued as a person who lost the mail would have it.
    const invitation = await post(
      `${auth?.url}/v1/internal/tenants/${tenant}/invitations`,
      { email: admin, roles: ['admin'], reissue: true },
      { 'x-service-token': OPERATOR_TOKEN },
    );
    expect(invitation.status).toBe(201);
    expect(typeof invitation.body.token).toBe('string');
    const accepted = await post(`${auth?.url}/v1/tenants/${tenant}/invitations/accept`, {
      token: invitation.body.token,
      password,
      displayName: 'Alice',
    });
    expect(accepted.status).toBe(201);
    const tokens = await signIn();
    expect(tokens.status).toBe(200);
    expect(tokens.body.tokenType).toBe('Bearer');

    expect((await appendAuditRecord()).status).toBe(202);
    const verified = await verifyAuditLog();
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true });

    // Suspended through the Tenant's spec: the operator publishes it, both services refuse.
    await setSuspended(true);
    const refused = await waitFor('auth to refuse the suspended tenant', async () => {
      const attempt = await signIn();
      return attempt.status === 403 ? attempt : undefined;
    });
    expect(refused.body.type).toBe('https://parley.dev/problems/tenant-suspended');
    const unread = await waitFor('compliance to refuse reading the log', async () => {
      const attempt = await verifyAuditLog();
      return attempt.status === 403 ? attempt : undefined;
    });
    expect(unread.body.type).toBe('https://parley.dev/problems/tenant-suspended');
    // Its legal duties go on: audit records still arrive.
    expect((await appendAuditRecord()).status).toBe(202);

    // Lifted: served again.
    await setSuspended(false);
    const again = await waitFor('auth to serve the tenant again', async () => {
      const attempt = await signIn();
      return attempt.status === 200 ? attempt : undefined;
    });
    expect(again.body.tokenType).toBe('Bearer');
    const reverified = await waitFor('compliance to serve the log again', async () => {
      const attempt = await verifyAuditLog();
      return attempt.status === 200 ? attempt : undefined;
    });
    expect(reverified.body).toMatchObject({ ok: true });
  });
});
