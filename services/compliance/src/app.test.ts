/**
 * The compliance service over HTTP (Fastify inject) on the real Mongo-wire server with a real
 * keyring: validation, the audit log and its proofs, GDPR export and erasure (crypto-shredding
 * leaves nothing readable while every proof still verifies), legal holds on every deletion path
 * the service owns, rectification, consents and retention runs.
 */
import { createHash } from 'node:crypto';
import { parsePublicKey, verifyProofBundle, verifyReceipt } from '@parley/audit-chain';
import { mongoDatabaseName } from '@parley/tenancy';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_PII_PURPOSE } from './domain/keyring-sealer.ts';
import { auditInput, type ComplianceFixture, openComplianceFixture } from './testing/compliance-fixture.ts';

let f: ComplianceFixture;
beforeAll(async () => {
  f = await openComplianceFixture();
});
afterAll(async () => {
  await f?.close();
});

const trustedKeys = () => new Map([[f.signingKey.keyId, f.signingKey.publicKey]]);

/** Every document of every collection in the tenant's database, as one string to search. */
async function everythingStored(tenant: string): Promise<string> {
  const db = f.client.db(mongoDatabaseName(tenant));
  const parts: string[] = [];
  for (const { name } of await db.listCollections().toArray()) {
    parts.push(JSON.stringify(await db.collection(name).find().toArray()));
  }
  return parts.join('\n');
}

async function submit(tenant: string, records: unknown[]) {
  const response = await f.call('POST', `/v1/tenants/${tenant}/audit/records`, { source: 'auth', records });
  expect(response.status).toBe(202);
  return response.body.results as { id: string; sequence: number }[];
}

describe('compliance service: boundaries', () => {
  it('refuses calls without the service credential', async () => {
    const tenant = await f.tenant();
    const response = await f.call('GET', `/v1/tenants/${tenant}/audit/records`, undefined, null);
    expect(response.status).toBe(401);
    expect(response.body.type).toBe('https://parley.dev/problems/unauthorized');
  });

  it('serves only tenants the operator provisioned (runtime record in Redis); a suspended one keeps its duties', async () => {
    const unknown = await f.call('POST', '/v1/tenants/never-provisioned/audit/records', {
      source: 'auth',
      records: [auditInput()],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('https://parley.dev/problems/unknown-tenant');
    expect(await f.client.db('parley_never_provisioned').listCollections().toArray()).toEqual([]);
    // Audit, holds and GDPR duties outlive a suspension.
    const suspended = await f.tenant('Suspended');
    expect(
      (
        await f.call('POST', `/v1/tenants/${suspended}/audit/records`, {
          source: 'auth',
          records: [auditInput()],
        })
      ).status,
    ).toBe(202);
    // ...but its people no longer read its audit log.
    const read = await f.call('GET', `/v1/tenants/${suspended}/audit/verify`);
    expect(read.status).toBe(403);
    expect(read.body.type).toBe('https://parley.dev/problems/tenant-suspended');
    // Neither a tenant still provisioning nor a deleted one is served.
    for (const status of ['Provisioning', 'Deleted'] as const) {
      const notServed = await f.tenant(status);
      expect((await f.call('GET', `/v1/tenants/${notServed}/audit/records`)).status).toBe(404);
    }
  });

  it('refuses invalid records with problem details and appends none of the batch', async () => {
    const tenant = await f.tenant();
    for (const bad of [
      { ...auditInput(), action: 'Not An Action' },
      { ...auditInput(), metadata: { nested: { no: 1 } } },
      { ...auditInput(), personal: [{ subject: 'bad subject!', fields: { email: 'x@example.com' } }] },
      { ...auditInput(), id: 'not-a-uuid' },
    ]) {
      const response = await f.call('POST', `/v1/tenants/${tenant}/audit/records`, {
        source: 'auth',
        records: [auditInput(), bad],
      });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+/);
    }
    // "Sealed" fields that do not open under the subject's key are refused: no clear text slips in.
    const forged = await f.call('POST', `/v1/tenants/${tenant}/audit/records`, {
      source: 'auth',
      records: [
        auditInput({
          personal: [
            {
              subject: 'u-x',
              keyName: 'subject:u-x',
              ciphertext: Buffer.from('{"email":"x@example.com"}').toString('base64'),
            },
          ],
        }),
      ],
    });
    expect(forged.status).toBe(400);
    expect(forged.body.type).toBe('https://parley.dev/problems/audit-record-rejected');
    const misfiled = await f.call('POST', `/v1/tenants/${tenant}/audit/records`, {
      source: 'auth',
      records: [auditInput({ personal: [{ subject: 'u-x', keyName: 'subject:u-y', ciphertext: 'AAAA' }] })],
    });
    expect(misfiled.status).toBe(400);
    const bogusTenant = await f.call('GET', '/v1/tenants/NOT_A_TENANT/audit/records');
    expect(bogusTenant.status).toBe(400);
    const listed = await f.call('GET', `/v1/tenants/${tenant}/audit/records`);
    expect(listed.body.records).toEqual([]);
  });
});

describe('compliance service: audit log', () => {
  it('stores metadata exactly as submitted: no type coercion on the way in', async () => {
    const tenant = await f.tenant();
    await submit(tenant, [
      auditInput({ metadata: { count: 5, code: '5', flag: false, none: null, list: [1, '1', true] } }),
    ]);
    const record = (await f.call('GET', `/v1/tenants/${tenant}/audit/records/0`)).body;
    expect(record.metadata).toEqual({ count: 5, code: '5', flag: false, none: null, list: [1, '1', true] });
  });

  it('appends, serves records, proofs and a bundle that verifies offline against the published key', async () => {
    const tenant = await f.tenant();
    const results = await submit(
      tenant,
      Array.from({ length: 7 }, () => auditInput()),
    );
    expect(results.map((r) => r.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Policy: every 5 records, so a checkpoint of size 7 was signed after the append.
    const checkpoints = await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints`);
    expect(checkpoints.body.checkpoints[0].treeSize).toBe(7);

    const proof = await f.call('GET', `/v1/tenants/${tenant}/audit/records/3/proof`);
    expect(proof.status).toBe(200);
    expect(proof.body).toMatchObject({ leafIndex: 3, treeSize: 7 });

    await submit(tenant, [auditInput(), auditInput(), auditInput()]);
    // 3 new records: not due by the policy (every 5); reading the latest signs nothing...
    expect(
      (await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints`)).body.checkpoints[0].treeSize,
    ).toBe(7);
    expect((await f.call('GET', `/v1/tenants/${tenant}/audit/checkpoints/latest`)).body.treeSize).toBe(7);
    // ...asking for a signature does.
    const signed = await f.call('POST', `/v1/tenants/${tenant}/audit/checkpoints`);
    expect(signed).toMatchObject({ status: 201, body: { treeSize: 10 } });
    const consistency = await f.call('GET', `/v1/tenants/${tenant}/audit/consistency?from=7`);
    expect(consistency.body.second.treeSize).toBe(10);

    const keys = await f.call('GET', '/v1/audit/signing-keys');
    const published = new Map(
      (keys.body.keys as { keyId: string; publicKey: string }[]).map((k) => [
        k.keyId,
        parsePublicKey(k.publicKey),
      ]),
    );
    const bundle = await f.call(
      'GET',
      `/v1/tenants/${tenant}/audit/proofs?sequences=0,3,9&since=7&full=true`,
    );
    expect(bundle.status).toBe(200);
    const verdict = await verifyProofBundle(bundle.body, published);
    expect(verdict.checks.every((c) => c.ok)).toBe(true);
    expect(verdict.checks).toHaveLength(2 + 3 + 1);

    const verification = await f.call('GET', `/v1/tenants/${tenant}/audit/verify`);
    expect(verification.body).toMatchObject({ ok: true, records: 10, treeSize: 10 });
    const metrics = await f.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/parley_compliance_audit_records_appended_total\{path="http"\} \d+/);

    const missing = await f.call('GET', `/v1/tenants/${tenant}/audit/records/99/proof`);
    expect(missing.status).toBe(404);
  });

  it('reports tampering through the verify endpoint', async () => {
    const tenant = await f.tenant();
    await submit(
      tenant,
      Array.from({ length: 6 }, () => auditInput()),
    );
    await f.client
      .db(mongoDatabaseName(tenant))
      .collection('audit_records')
      .updateOne({ sequence: 2 }, { $set: { outcome: 'failure' } });
    const verification = await f.call('GET', `/v1/tenants/${tenant}/audit/verify`);
    expect(verification.body.ok).toBe(false);
    expect(verification.body.problems[0]).toMatchObject({ kind: 'edited', sequence: 2 });
  });
});

describe('compliance service: GDPR', () => {
  const bobPii = { email: 'bob.builder@example.com', ip: '203.0.113.77' };

  it('exports everything about a person with a signed receipt, then erases them: nothing readable remains, every proof still verifies', async () => {
    const tenant = await f.tenant();
    await submit(tenant, [
      auditInput({ actor: { type: 'user', id: 'u-bob' }, personal: [{ subject: 'u-bob', fields: bobPii }] }),
      auditInput({
        actor: { type: 'user', id: 'u-alice' },
        personal: [{ subject: 'u-alice', fields: { email: 'alice@example.com' } }],
      }),
      auditInput({
        actor: { type: 'user', id: 'u-admin' },
        action: 'auth.security.user-updated',
        resource: { type: 'user', id: 'u-bob' },
        personal: [{ subject: 'u-bob', fields: { displayName: 'Bob The Builder' } }],
      }),
    ]);
    const consent = await f.call('POST', `/v1/tenants/${tenant}/gdpr/consents`, {
      userId: 'u-bob',
      purpose: 'marketing',
      granted: true,
      source: 'signup-form',
    });
    expect(consent.status).toBe(201);
    await f.call('POST', `/v1/tenants/${tenant}/gdpr/consents`, {
      userId: 'u-bob',
      purpose: 'marketing',
      granted: false,
      source: 'settings-page',
    });
    const consents = await f.call('GET', `/v1/tenants/${tenant}/gdpr/consents/u-bob`);
    expect(consents.body.consents[0]).toMatchObject({ purpose: 'marketing', granted: false });
    expect(consents.body.consents[0].history.map((h: { granted: boolean }) => h.granted)).toEqual([
      true,
      false,
    ]);

    // The stored records hold only ciphertext; an authorised reveal opens them.
    expect(await everythingStored(tenant)).not.toContain(bobPii.email);
    const revealed = await f.call('GET', `/v1/tenants/${tenant}/audit/records?reveal=true&subject=u-bob`);
    expect(JSON.stringify(revealed.body)).toContain(bobPii.email);

    // Export: compliance is the only participant here, so the job completes at once.
    const exportJob = await f.call('POST', `/v1/tenants/${tenant}/gdpr/exports`, {
      userId: 'u-bob',
      requestedBy: 'u-bob',
    });
    expect(exportJob.status).toBe(202);
    expect(exportJob.body.status).toBe('completed');
    const archive = await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${exportJob.body.id}/archive`);
    expect(archive.status).toBe(200);
    expect(archive.headers['content-type']).toBe('application/zip');
    const files = unzipSync(new Uint8Array(archive.raw));
    const exported = Buffer.from(files['compliance.json'] as Uint8Array).toString();
    expect(exported).toContain(bobPii.email);
    expect(exported).toContain('Bob The Builder');
    expect(exported).not.toContain('alice@example.com'); // another person's fields never leak
    expect(exported).toContain('signup-form');
    const receipt = JSON.parse(Buffer.from(files['receipt.json'] as Uint8Array).toString());
    expect(verifyReceipt(receipt, f.signingKey.publicKey)).toBe(true);
    expect(receipt.files).toEqual([
      {
        name: 'compliance.json',
        sha256: createHash('sha256').update(exported).digest('hex'),
        bytes: Buffer.byteLength(exported),
      },
    ]);
    expect(verifyReceipt({ ...receipt, userId: 'u-mallory' }, f.signingKey.publicKey)).toBe(false);

    const checkpointBefore = (await f.call('POST', `/v1/tenants/${tenant}/audit/checkpoints`)).body;

    // Erasure.
    const erasure = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-bob',
      requestedBy: 'u-bob',
    });
    expect(erasure.body).toMatchObject({ kind: 'erasure', status: 'completed' });
    expect(erasure.body.participants.compliance).toMatchObject({
      status: 'done',
      counts: { subject_keys: 1, export_parts: 1 },
    });

    const after = await f.call('GET', `/v1/tenants/${tenant}/audit/records?reveal=true`);
    const text = JSON.stringify(after.body);
    expect(text).not.toContain(bobPii.email);
    expect(text).not.toContain('Bob The Builder');
    expect(text).toContain('alice@example.com'); // others are untouched
    expect((await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${exportJob.body.id}/archive`)).status).toBe(
      410,
    );

    // The key itself: unusable now, and its material gone once the waiting period ends.
    const first = await (await f.auditLogs.get(tenant)).getRecord(0);
    const sealed = first && 'personal' in first ? first.personal[0]?.ciphertext : undefined;
    if (!sealed) throw new Error('record 0 lost its sealed personal fields');
    const ciphertext = Buffer.from(sealed, 'base64');
    await expect(f.keyring.decrypt(tenant, AUDIT_PII_PURPOSE, ciphertext)).rejects.toThrow();
    await f.keyring.destroyDueKeys(new Date(Date.now() + 8 * 86_400_000));
    expect((await f.keyring.listVersions(tenant, 'subject:u-bob')).state).toBe('destroyed');
    await expect(f.keyring.decrypt(tenant, AUDIT_PII_PURPOSE, ciphertext)).rejects.toThrow(/destroyed/);

    // Nothing readable in any of the tenant's collections...
    const stored = await everythingStored(tenant);
    for (const value of [bobPii.email, bobPii.ip, 'Bob The Builder']) expect(stored).not.toContain(value);
    // ...and new records about the erased person are withheld, not stored in the clear.
    await submit(tenant, [
      auditInput({
        actor: { type: 'user', id: 'u-bob' },
        personal: [{ subject: 'u-bob', fields: { ip: '198.51.100.9' } }],
      }),
    ]);
    expect(await everythingStored(tenant)).not.toContain('198.51.100.9');

    // ...while the chain, the old checkpoint and proofs across the erasure all verify.
    const verification = await f.call('GET', `/v1/tenants/${tenant}/audit/verify`);
    expect(verification.body.ok).toBe(true);
    const bundle = await f.call(
      'GET',
      `/v1/tenants/${tenant}/audit/proofs?sequences=0,2&since=${checkpointBefore.treeSize}`,
    );
    expect((await verifyProofBundle(bundle.body, trustedKeys())).ok).toBe(true);

    const jobs = await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs?userId=u-bob`);
    expect(jobs.body.jobs.map((j: { kind: string }) => j.kind).sort()).toEqual(['erasure', 'export']);
    const audited = await f.call('GET', `/v1/tenants/${tenant}/audit/records?limit=1000`);
    const actions = audited.body.records.map((r: { action: string }) => r.action);
    for (const action of [
      'gdpr.consent.granted',
      'gdpr.consent.withdrawn',
      'gdpr.export.requested',
      'gdpr.export.completed',
      'gdpr.erasure.requested',
      'gdpr.erasure.completed',
    ]) {
      expect(actions).toContain(action);
    }
  });

  it('a legal hold blocks erasure with the exemption as its reason; lifting it lets the erasure proceed', async () => {
    const tenant = await f.tenant();
    await submit(tenant, [
      auditInput({ personal: [{ subject: 'u-carol', fields: { email: 'carol@example.com' } }] }),
    ]);
    const placed = await f.call('POST', `/v1/tenants/${tenant}/legal-holds`, {
      scope: { kind: 'person', userId: 'u-carol' },
      reason: 'Litigation 2026-CV-114',
      setBy: 'counsel@acme',
    });
    expect(placed.status).toBe(201);
    const holdId = placed.body.hold.id;

    const blocked = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-carol',
      requestedBy: 'u-carol',
    });
    expect(blocked.status).toBe(202);
    expect(blocked.body).toMatchObject({ status: 'blocked', holdIds: [holdId] });
    expect(blocked.body.exemption).toMatch(/Art\. 17\(3\)\(e\)/);
    // Nothing was shredded: the subject's data still opens.
    expect(
      JSON.stringify((await f.call('GET', `/v1/tenants/${tenant}/audit/records?reveal=true`)).body),
    ).toContain('carol@example.com');
    const denied = (await f.call('GET', `/v1/tenants/${tenant}/audit/records?action=gdpr.erasure.blocked`))
      .body.records[0];
    expect(denied).toMatchObject({
      outcome: 'denied',
      metadata: { reason: 'legal-exemption', holdIds: [holdId] },
    });

    const lifted = await f.call('POST', `/v1/tenants/${tenant}/legal-holds/${holdId}/lift`, {
      liftedBy: 'counsel@acme',
      reason: 'settled',
    });
    expect(lifted.status).toBe(200);
    expect(lifted.body.resumedJobs).toEqual([blocked.body.id]);
    const job = await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${blocked.body.id}`);
    expect(job.body.status).toBe('completed');
    expect(
      JSON.stringify((await f.call('GET', `/v1/tenants/${tenant}/audit/records?reveal=true`)).body),
    ).not.toContain('carol@example.com');
    expect(
      (
        await f.call('POST', `/v1/tenants/${tenant}/legal-holds/${holdId}/lift`, {
          liftedBy: 'x',
          reason: 'again',
        })
      ).status,
    ).toBe(404);
  });

  it('a tenant-wide hold blocks erasure too, and a hold placed after an erasure stops the pending crypto-shredding', async () => {
    const tenant = await f.tenant();
    await submit(tenant, [
      auditInput({ personal: [{ subject: 'u-dave', fields: { email: 'dave@example.com' } }] }),
    ]);
    const erased = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-dave',
      requestedBy: 'u-dave',
    });
    expect(erased.body.status).toBe('completed');
    expect((await f.keyring.listVersions(tenant, 'subject:u-dave')).state).toBe('pending-destruction');

    const hold = await f.call('POST', `/v1/tenants/${tenant}/legal-holds`, {
      scope: { kind: 'tenant' },
      reason: 'Regulator inquiry',
      setBy: 'dpo@acme',
    });
    expect(hold.body.destructionsCancelled).toEqual(['subject:u-dave']);
    expect((await f.keyring.listVersions(tenant, 'subject:u-dave')).state).toBe('enabled');
    await f.keyring.destroyDueKeys(new Date(Date.now() + 40 * 86_400_000));
    expect((await f.keyring.listVersions(tenant, 'subject:u-dave')).state).toBe('enabled');

    const blocked = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
      userId: 'u-erin',
      requestedBy: 'u-erin',
    });
    expect(blocked.body).toMatchObject({ status: 'blocked', holdIds: [hold.body.hold.id] });
  });

  it('concurrent reports are all kept and the job settles exactly once', async () => {
    const tenant = await f.tenant();
    const names = ['p-one', 'p-two', 'p-three', 'p-four', 'p-five'];
    for (const name of names)
      await f.participants.register(name, { handles: ['erasure'], description: name });
    try {
      const job = await f.call('POST', `/v1/tenants/${tenant}/gdpr/erasures`, {
        userId: 'u-kim',
        requestedBy: 'u-kim',
      });
      expect(job.body.status).toBe('in-progress');
      await Promise.all(
        [...names, ...names].map((participant) =>
          f.gdpr.applyReport(tenant, {
            jobId: job.body.id,
            kind: 'erasure',
            participant,
            status: 'done',
            counts: { rows: 1 },
          }),
        ),
      );
      const settled = await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${job.body.id}`);
      expect(settled.body.status).toBe('completed');
      expect(
        Object.values(settled.body.participants).every((p) => (p as { status: string }).status === 'done'),
      ).toBe(true);
      const completions = await f.call(
        'GET',
        `/v1/tenants/${tenant}/audit/records?action=gdpr.erasure.completed`,
      );
      expect(completions.body.records).toHaveLength(1);
    } finally {
      await f.client
        .db(f.participantsDb)
        .collection('gdpr_participants')
        .deleteMany({ _id: { $in: names } as never });
    }
  });

  it('a shredding scheduled behind a hold’s back (straight through the keyring) is cancelled by the guard', async () => {
    const { HoldGuard } = await import('./workers/hold-guard.ts');
    const tenant = await f.tenant();
    await f.call('POST', `/v1/tenants/${tenant}/legal-holds`, {
      scope: { kind: 'person', userId: 'u-pat' },
      reason: 'Case 9',
      setBy: 'counsel',
    });
    await f.keyring.ensureTenantKey(tenant, 'subject:u-pat');
    await f.keyring.ensureTenantKey(tenant, 'subject:u-quinn');
    await f.keyring.scheduleDestruction(tenant, 'subject:u-pat', { waitingDays: 7 });
    await f.keyring.scheduleDestruction(tenant, 'subject:u-quinn', { waitingDays: 7 });
    const guard = new HoldGuard({
      holds: f.holds,
      tenants: async () => [tenant],
      intervalMs: 3600_000,
      logger: f.logger,
    });
    await guard.sweep();
    expect((await f.keyring.listVersions(tenant, 'subject:u-pat')).state).toBe('enabled');
    expect((await f.keyring.listVersions(tenant, 'subject:u-quinn')).state).toBe('pending-destruction'); // no hold on quinn
    const audited = await f.call(
      'GET',
      `/v1/tenants/${tenant}/audit/records?action=compliance.legal-hold.destruction-cancelled`,
    );
    expect(audited.body.records).toHaveLength(1);
  });

  it('records a rectification as salted hashes, never the values', async () => {
    const tenant = await f.tenant();
    const response = await f.call('POST', `/v1/tenants/${tenant}/gdpr/rectifications`, {
      userId: 'u-fay',
      participant: 'auth',
      field: 'email',
      before: 'fay.old@example.com',
      after: 'fay.new@example.com',
      requestedBy: 'u-fay',
    });
    expect(response.status).toBe(201);
    expect(response.body.rectification.beforeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(response.body.rectification.beforeHash).not.toBe(response.body.rectification.afterHash);
    expect(response.body.rectification).not.toHaveProperty('salt');
    const stored = await everythingStored(tenant);
    expect(stored).not.toContain('fay.old@example.com');
    expect(stored).not.toContain('fay.new@example.com');
    expect(stored).toContain('gdpr.rectification.recorded');
  });
});

describe('compliance service: export expiry', () => {
  it('deletes export archives past their retention; the job and its receipt stay, the archive answers 410', async () => {
    const { ExportExpiry } = await import('./workers/export-expiry.ts');
    const tenant = await f.tenant();
    const job = await f.call('POST', `/v1/tenants/${tenant}/gdpr/exports`, {
      userId: 'u-ola',
      requestedBy: 'u-ola',
    });
    expect((await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${job.body.id}/archive`)).status).toBe(200);
    const parts = f.client.db(mongoDatabaseName(tenant)).collection('gdpr_export_parts');
    const expiry = new ExportExpiry({
      exportParts: async () => [parts],
      retentionDays: 30,
      intervalMs: 60_000,
      logger: f.logger,
    });
    expect(await expiry.sweep(new Date(Date.now() + 29 * 86_400_000))).toBe(0);
    expect(await expiry.sweep(new Date(Date.now() + 31 * 86_400_000))).toBe(1);
    const archive = await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${job.body.id}/archive`);
    expect(archive.status).toBe(410);
    expect((await f.call('GET', `/v1/tenants/${tenant}/gdpr/jobs/${job.body.id}/receipt`)).status).toBe(200);
  });
});

describe('compliance service: retention', () => {
  it('stores a policy, dry-runs and runs it, records and audits each run', async () => {
    const tenant = await f.tenant();
    await submit(tenant, [auditInput(), auditInput()]);
    const put = await f.call('PUT', `/v1/tenants/${tenant}/retention/policies/default`, {
      rules: [
        { resource: 'audit', maxAgeSeconds: 3600 },
        { resource: 'messages', maxAgeSeconds: 86_400 },
      ],
    });
    expect(put.status).toBe(200);
    const bad = await f.call('PUT', `/v1/tenants/${tenant}/retention/policies/bad`, {
      rules: [{ resource: 'audit', maxAgeSeconds: 5 }],
    });
    expect(bad.status).toBe(400);

    const plan = await f.call('POST', `/v1/tenants/${tenant}/retention/runs`, {
      policy: 'default',
      dryRun: true,
    });
    expect(plan.body).toMatchObject({
      dryRun: true,
      status: 'succeeded',
      unsupportedResources: [],
    });
    expect(plan.body.counts.audit).toMatchObject({ examined: 0, wouldDelete: 0 });
    const run = await f.call('POST', `/v1/tenants/${tenant}/retention/runs`, { policy: 'default' });
    expect(run.body).toMatchObject({ dryRun: false, status: 'succeeded' });
    const runs = await f.call('GET', `/v1/tenants/${tenant}/retention/runs`);
    expect(runs.body.runs).toHaveLength(2);
    const audited = await f.call('GET', `/v1/tenants/${tenant}/audit/records?action=retention.run.completed`);
    expect(audited.body.records).toHaveLength(1);
    expect((await f.call('POST', `/v1/tenants/${tenant}/retention/runs`, { policy: 'nope' })).status).toBe(
      404,
    );
  });
});
