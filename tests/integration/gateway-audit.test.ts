/**
 * The gateway's audit trail over the real compliance service: a mutating request and a refused
 * one each become an audit record; and a record whose request was acknowledged survives the
 * gateway being killed (SIGKILL, nothing drained) while the compliance service was down: the
 * next gateway process delivers it from the journal.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { eventually, freePort } from '@parley/kit/testing';
import { createParleyClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';
import { type ServiceProcess, startServiceProcess } from './service-process.ts';

let stack: GatewayStack;
let alice: SignedIn;
let auditDir: string;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  stack = await openGatewayStack({ AUDIT_CHECKPOINT_MS: 200 });
  alice = await stack.user(stack.tenantA);
  auditDir = await mkdtemp(join(tmpdir(), 'gateway-audit-crash-'));
});
afterAll(async () => {
  for (const p of processes) await p.stop();
  await stack?.close();
  await rm(auditDir, { recursive: true, force: true });
});

interface StoredRecord {
  action: string;
  outcome: string;
  requestId?: string;
  actor: { type: string; id: string };
  metadata?: Record<string, unknown>;
}

async function auditRecords(requestId: string): Promise<StoredRecord[]> {
  const answer = await stack.compliance.call('GET', `/v1/tenants/${stack.tenantA}/audit/records?limit=1000`);
  return ((answer.body as { records: StoredRecord[] }).records ?? []).filter(
    (r) => r.requestId === requestId,
  );
}

const withRequestId = (accessToken: string, baseUrl: string, requestId: string) =>
  createParleyClient({ baseUrl, accessToken, headers: { 'x-request-id': requestId } });

describe('the audit trail of the gateway', () => {
  it('records a mutating request and a refused one', async () => {
    const sendId = `req-${randomUUID()}`;
    const client = withRequestId(alice.accessToken, stack.gateway.url, sendId);
    const opened = await alice.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'audited' },
    });
    const sent = await client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId: opened.data?.id ?? '' } },
      body: { clientMessageId: randomUUID(), text: 'on the record' },
    });
    expect(sent.response.status).toBe(201);
    const refusedId = `req-${randomUUID()}`;
    const refused = await withRequestId(alice.accessToken, stack.gateway.url, refusedId).GET(
      '/api/v1/admin/users',
    );
    expect(refused.response.status).toBe(403);

    const [sendRecord] = await eventually(
      () => auditRecords(sendId),
      (r) => r.length > 0,
    );
    expect(sendRecord).toMatchObject({
      action: 'gateway.api.send-message',
      outcome: 'success',
      actor: { type: 'user', id: alice.userId },
      metadata: { status: 201, method: 'POST' },
    });
    const [refusal] = await eventually(
      () => auditRecords(refusedId),
      (r) => r.length > 0,
    );
    expect(refusal).toMatchObject({
      action: 'gateway.api.list-users',
      outcome: 'denied',
      metadata: { status: 403 },
    });
    // A read that was served is not audited.
    const readId = `req-${randomUUID()}`;
    await withRequestId(alice.accessToken, stack.gateway.url, readId).GET('/api/v1/me');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await auditRecords(readId)).toEqual([]);
  });

  it("delivers an acknowledged request's record after the gateway is killed while compliance was down", async () => {
    const env = {
      AUTH_URL: stack.authUrl,
      MESSAGING_URL: stack.messagingUrl,
      AUTH_ISSUER: stack.auth.policy.issuer,
      AUTH_AUDIENCE: stack.auth.policy.audience,
      SERVICE_TOKEN,
      AUDIT_DIR: auditDir,
      AUDIT_CHECKPOINT_MS: '200',
    };
    const first = await startServiceProcess('gateway', {
      ...env,
      COMPLIANCE_URL: `http://127.0.0.1:${await freePort()}`,
    });
    processes.push(first);
    const requestId = `req-${randomUUID()}`;
    const client = withRequestId(alice.accessToken, first.url, requestId);
    const opened = await client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'before the crash' },
    });
    expect(opened.response.status).toBe(201);
    // Acknowledged, so on disk: the journal holds it (compliance never answered).
    const journal = join(auditDir, 'journal');
    const onDisk = await Promise.all(
      (await readdir(journal)).map((name) => readFile(join(journal, name), 'utf8')),
    );
    expect(onDisk.join('')).toContain(requestId);
    await first.kill('SIGKILL');

    const second = await startServiceProcess('gateway', { ...env, COMPLIANCE_URL: stack.complianceUrl });
    processes.push(second);
    const [record] = await eventually(
      () => auditRecords(requestId),
      (r) => r.length > 0,
      { timeoutMs: 60_000 },
    );
    expect(record).toMatchObject({ action: 'gateway.api.create-conversation', outcome: 'success' });
    // Delivered once, and the journal lets go of it at the next checkpoint.
    await eventually(
      async () => {
        const names = await readdir(journal);
        const texts = await Promise.all(
          names.map((name) => readFile(join(journal, name), 'utf8').catch(() => '')),
        );
        return !texts.join('').includes(requestId);
      },
      (gone) => gone,
    );
    expect(await auditRecords(requestId)).toHaveLength(1);
  });
});
