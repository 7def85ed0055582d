/**
 * The gauges behind the umbrella chart's ParleyAuditCheckpointOverdue alert: per tenant, the
 * records no signed checkpoint covers yet and when the latest checkpoint was issued, as of the
 * checkpoint timer's last round (real MongoDB, the real service graph).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditInput, type ComplianceFixture, openComplianceFixture } from './testing/compliance-fixture.ts';

let f: ComplianceFixture;
beforeAll(async () => {
  f = await openComplianceFixture();
});
afterAll(async () => {
  await f?.close();
});

async function gauge(name: string, tenant: string): Promise<number | undefined> {
  const body = (await f.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = body.split('\n').find((l) => l.startsWith(`${name}{tenant="${tenant}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('compliance service: checkpoint gauges', () => {
  it('report the unsigned records and the latest checkpoint time of each tenant after a timer round', async () => {
    const tenant = await f.tenant();
    const other = await f.tenant();
    const submit = async (t: string, count: number) => {
      const records = Array.from({ length: count }, () => auditInput());
      const response = await f.call('POST', `/v1/tenants/${t}/audit/records`, { source: 'auth', records });
      expect(response.status).toBe(202);
    };
    // A log's first records are signed at once; 3 more stay below the fixture's policy (every 5
    // records, or 60 s), so they wait unsigned.
    const before = Date.now() / 1000;
    await submit(tenant, 1);
    await submit(tenant, 3);
    await submit(other, 6);
    await f.auditLogs.tick();
    expect(await gauge('parley_compliance_audit_unsigned_records', tenant)).toBe(3);
    const first = (await gauge('parley_compliance_audit_last_checkpoint_timestamp_seconds', tenant)) ?? 0;
    expect(first).toBeGreaterThanOrEqual(Math.floor(before) - 1);
    expect(first).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    // The other tenant's 6 records were signed after its append: its own series, nothing unsigned.
    expect(await gauge('parley_compliance_audit_unsigned_records', other)).toBe(0);
    const signedAt = (await gauge('parley_compliance_audit_last_checkpoint_timestamp_seconds', other)) ?? 0;
    expect(Math.abs(signedAt - Date.now() / 1000)).toBeLessThan(60);

    // Two more reach the policy: signed on append, and the next round says so.
    await submit(tenant, 2);
    await f.auditLogs.tick();
    expect(await gauge('parley_compliance_audit_unsigned_records', tenant)).toBe(0);
    const latest = (await gauge('parley_compliance_audit_last_checkpoint_timestamp_seconds', tenant)) ?? 0;
    expect(latest).toBeGreaterThanOrEqual(first);
  });
});
