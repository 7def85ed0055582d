/**
 * A crash between a change and its audit append loses nothing: on the real Mongo-wire server,
 * domain objects are built over a trail whose append dies (the kill point sits exactly after the
 * change's own write), then AuditTrailSweeper runs as a restarted replica would, and each audit
 * record is in the chain exactly once, however many sweeps run, and the chain still verifies.
 */
import type { AuditRecordInput } from '@parley/contracts';
import { mongoDatabaseName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from './domain/audit-trail.ts';
import { ComplianceParticipant } from './domain/compliance-participant.ts';
import { ConsentStore } from './domain/consents.ts';
import { GdprCoordinator } from './domain/gdpr-coordinator.ts';
import { LegalHolds } from './domain/legal-holds.ts';
import { RetentionRunner } from './domain/retention-runner.ts';
import { type ComplianceFixture, openComplianceFixture } from './testing/compliance-fixture.ts';
import { AuditTrailSweeper } from './workers/audit-trail-sweeper.ts';

/** The process dies right after the change was written: no audit append ever happens. */
class CrashingTrail extends AuditTrail {
  override async append(_tenant: string, _records: AuditRecordInput[]): Promise<void> {
    throw new Error('simulated crash before the audit append');
  }
}

let f: ComplianceFixture;
beforeAll(async () => {
  f = await openComplianceFixture();
});
afterAll(async () => {
  await f?.close();
});

function crashingDomain() {
  const trail = new CrashingTrail(f.auditLogs);
  const self = new ComplianceParticipant({
    client: f.client,
    auditLogs: f.auditLogs,
    keyring: f.keyring,
    sealer: f.sealer,
    erasureWaitingDays: 7,
  });
  const gdpr = new GdprCoordinator({
    client: f.client,
    trail,
    participants: f.participants,
    self,
    signingKey: f.signingKey,
    logger: f.logger,
  });
  return {
    gdpr,
    consents: new ConsentStore(f.client, trail),
    holds: new LegalHolds({ client: f.client, keyring: f.keyring, trail, gdpr }),
    retention: new RetentionRunner({
      client: f.client,
      s3: f.s3,
      auditLogs: f.auditLogs,
      trail,
      batchSize: 50,
      pauseMs: 0,
    }),
  };
}

async function actions(tenant: string): Promise<string[]> {
  const response = await f.call('GET', `/v1/tenants/${tenant}/audit/records?limit=100`);
  expect(response.status).toBe(200);
  return (response.body.records as { action: string }[]).map((r) => r.action).sort();
}

describe('compliance audit trail: a crash between a change and its audit record', () => {
  it('leaves each record for the sweeper, which appends it exactly once; the chain verifies', async () => {
    const tenant = await f.tenant();
    const crashed = crashingDomain();
    const crash = /simulated crash/;

    await expect(
      crashed.consents.record(tenant, {
        userId: 'u-carol',
        purpose: 'marketing',
        granted: true,
        source: 'web',
      }),
    ).rejects.toThrow(crash);
    await expect(crashed.gdpr.requestExport(tenant, 'u-carol', 'u-dpo')).rejects.toThrow(crash);
    await expect(
      crashed.holds.place(tenant, {
        scope: { kind: 'person', userId: 'u-dave' },
        reason: 'litigation',
        setBy: 'u-legal',
      }),
    ).rejects.toThrow(crash);
    const [hold] = await crashed.holds.store(tenant).list();
    expect(hold).toBeDefined();
    await expect(
      crashed.holds.lift(tenant, hold?.id ?? '', { liftedBy: 'u-legal', reason: 'settled' }),
    ).rejects.toThrow(crash);
    const put = await f.call('PUT', `/v1/tenants/${tenant}/retention/policies/default`, {
      rules: [{ resource: 'audit', maxAgeSeconds: 3600 }],
    });
    expect(put.status).toBe(200);
    await expect(crashed.retention.run(tenant, 'default', { requestedBy: 'operator' })).rejects.toThrow(
      crash,
    );

    // Every change happened and nothing reached the chain; the owned documents hold their record.
    expect(await actions(tenant)).toEqual([]);
    const db = f.client.db(mongoDatabaseName(tenant));
    expect(await db.collection('gdpr_consents').countDocuments({ _auditPending: true })).toBe(1);
    expect(await db.collection('gdpr_jobs').countDocuments({ _auditPending: true })).toBe(1);
    expect(await db.collection('retention_runs').countDocuments()).toBe(1);

    // A restarted replica's sweeper, and a second replica sweeping the same tenant at once.
    const sweeper = () =>
      new AuditTrailSweeper({
        client: f.client,
        trail: new AuditTrail(f.auditLogs),
        tenants: async () => [tenant],
        logger: f.logger,
        intervalMs: 60_000,
      });
    const [a, b] = [sweeper(), sweeper()];
    await Promise.all([a.sweepTenant(tenant), b.sweepTenant(tenant)]);
    await a.sweepTenant(tenant);

    const expected = [
      'compliance.legal-hold.lifted',
      'compliance.legal-hold.placed',
      'gdpr.consent.granted',
      'gdpr.export.requested',
      'retention.run.completed',
    ];
    expect(await actions(tenant)).toEqual(expected);
    expect(await db.collection('gdpr_consents').countDocuments({ _auditPending: true })).toBe(0);
    expect(await db.collection('gdpr_jobs').countDocuments({ _auditPending: true })).toBe(0);
    expect(await a.sweepTenant(tenant)).toBe(0); // nothing left to do

    const placed = await f.call(
      'GET',
      `/v1/tenants/${tenant}/audit/records?action=compliance.legal-hold.placed`,
    );
    expect(placed.body.records[0]).toMatchObject({
      id: `compliance:compliance.legal-hold.placed:${hold?.id}`,
      actor: { type: 'user', id: 'u-legal' },
      metadata: { scope: 'person', target: 'u-dave', recovered: true },
    });
    const verification = await f.call('GET', `/v1/tenants/${tenant}/audit/verify`);
    expect(verification.body).toMatchObject({ ok: true, records: expected.length });
  });

  it('without a crash the record is appended at once, and a later sweep adds nothing', async () => {
    const tenant = await f.tenant();
    const holds = f.holds;
    const placed = await holds.place(tenant, {
      scope: { kind: 'tenant' },
      reason: 'audit',
      setBy: 'u-legal',
    });
    await holds.lift(tenant, placed.hold.id, { liftedBy: 'u-legal', reason: 'done' });
    const consent = await f.call('POST', `/v1/tenants/${tenant}/gdpr/consents`, {
      userId: 'u-erin',
      purpose: 'analytics',
      granted: false,
      source: 'app',
    });
    expect(consent.status).toBeLessThan(300);
    const before = await actions(tenant);
    expect(before).toEqual([
      'compliance.legal-hold.lifted',
      'compliance.legal-hold.placed',
      'gdpr.consent.withdrawn',
    ]);
    const sweeper = new AuditTrailSweeper({
      client: f.client,
      trail: new AuditTrail(f.auditLogs),
      tenants: async () => [tenant],
      logger: f.logger,
      intervalMs: 60_000,
    });
    expect(await sweeper.sweepTenant(tenant)).toBe(0);
    expect(await actions(tenant)).toEqual(before);
    const stored = await f.client.db(mongoDatabaseName(tenant)).collection('gdpr_consents').findOne({});
    expect(stored).not.toHaveProperty('_audit');
    expect((await f.call('GET', `/v1/tenants/${tenant}/audit/verify`)).body.ok).toBe(true);
  });
});
