/**
 * KeyRotationSchedule and RetentionPolicy on the local stack: keys rotate through packages/keyring
 * (force-rotate, once per slot even when reconciled repeatedly by two reconcilers), and purges
 * run through packages/retention on the cron schedule, honouring legal holds.
 */
import { randomUUID } from 'node:crypto';
import { AuditLog } from '@parley/audit-chain';
import { createSilentLogger } from '@parley/kit/testing';
import { LegalHoldStore, RetentionPolicyStore } from '@parley/retention';
import { describe, expect, it } from 'vitest';
import { KeyRotationScheduleReconciler } from '../src/key-rotation-schedule/key-rotation-schedule-reconciler.ts';
import { createEventRecorder } from '../src/manager/event-recorder.ts';
import { connectKube } from '../src/manager/kube-client.ts';
import { currentRetentionMs } from '../src/retention-policy/topic-retention.ts';
import {
  forceRotate,
  getJson,
  kubectlOk,
  sample,
  uniqueId,
  waitFor,
  waitForCondition,
  waitForEvent,
} from './operator-fixture.ts';
import { operatorSuite } from './operator-suite.ts';

const tenant = uniqueId('ts');

interface KrsView {
  metadata: { uid: string };
  status?: {
    currentVersion?: number;
    minDecryptionVersion?: number;
    lastForceRotate?: string;
    nextRotation?: string;
  };
}

async function krs(name: string): Promise<KrsView | undefined> {
  return getJson<KrsView>(namespace, `keyrotationschedule/${name}`);
}

/** The operator's gauge value for exactly these labels (undefined: no such series). */
async function gauge(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await suite.op.operator.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value;
}

const suite = operatorSuite({
  prefix: 'opts-',
  tenants: [{ name: tenant }],
  kinds: 'keyrotationschedules,retentionpolicies',
  setupTimeoutMs: 150_000,
  cleanupTimeoutMs: 120_000,
});
const { namespace } = suite;

describe('KeyRotationSchedule', { timeout: 180_000 }, () => {
  it('applies from the sample, reports the key, and force-rotates once per annotation value', async () => {
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('keyrotationschedule-acme.yaml', tenant),
    );
    const name = `${tenant}-tenant-key`;
    await waitForCondition(namespace, `keyrotationschedule/${name}`, 'Ready', 'True');
    expect((await krs(name))?.status).toMatchObject({ currentVersion: 1, minDecryptionVersion: 1 });
    expect((await krs(name))?.status?.nextRotation).toBeTruthy();
    // The alerts' gauges (ParleyKeyRotationOverdue, ParleyTenantNotReady): the due time the
    // status shows (which drops the milliseconds), and the Tenant Ready.
    const due = Date.parse((await krs(name))?.status?.nextRotation ?? '') / 1000;
    expect(
      Math.abs(
        ((await gauge('parley_operator_key_rotation_due_timestamp_seconds', {
          schedule_namespace: namespace,
          schedule: name,
        })) ?? 0) - due,
      ),
    ).toBeLessThan(1);
    expect(await gauge('parley_operator_tenant_ready', { tenant_namespace: namespace, tenant })).toBe(1);

    await forceRotate(namespace, name, 'first');
    await waitFor('version 2', async () => (await krs(name))?.status?.currentVersion === 2);
    // Several resyncs later (every 2 s in tests) the same annotation value has not rotated again.
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await krs(name))?.status).toMatchObject({ currentVersion: 2, lastForceRotate: 'first' });
    expect((await suite.op.operator.keyring.listVersions(tenant)).primaryVersion).toBe(2);

    await forceRotate(namespace, name, 'second');
    await waitFor('version 3', async () => (await krs(name))?.status?.currentVersion === 3);
    // The keyring wrote the rotation event with the rotation; the operator's relay published it.
    const rotated = await waitForEvent<{ type: string; payload: { newVersion: number } }>(
      `parley.${tenant}.keys`,
      (e) => e.type === 'crypto.key.rotated.v1' && e.payload.newVersion === 3,
    );
    expect(rotated.payload).toMatchObject({ keyName: 'default', previousVersion: 2, newVersion: 3 });
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'reason=ForceRotated',
      '-o',
      'name',
    ]);
    expect(events.trim().split('\n')).toHaveLength(2);
    // A deleted schedule leaves no series behind (it would read as overdue forever).
    await kubectlOk(['delete', '-n', namespace, `keyrotationschedule/${name}`]);
    const labels = { schedule_namespace: namespace, schedule: name };
    await waitFor(
      'the schedule gauge to go',
      async () => (await gauge('parley_operator_key_rotation_due_timestamp_seconds', labels)) === undefined,
    );
  });

  it('rotates once per cron slot however often and by however many reconcilers it is reconciled', async () => {
    const name = uniqueId('cron-');
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      `apiVersion: parley.dev/v1alpha1\nkind: KeyRotationSchedule\nmetadata:\n  name: ${name}\nspec:\n  tenantRef: {name: ${tenant}}\n  cron: "0 4 * * *"\n  rewrapPolicy: None\n  versionsKept: 1\n`,
    );
    await waitForCondition(namespace, `keyrotationschedule/${name}`, 'Ready', 'True');
    const before = (await suite.op.operator.keyring.listVersions(tenant)).primaryVersion;
    // Two replicas' reconcilers, both believing it is 04:00:30 tomorrow: the 04:00 slot is due.
    const tomorrow = new Date(Date.now() + 24 * 3600_000);
    tomorrow.setUTCHours(4, 0, 30, 0);
    const kube = connectKube(suite.op.config.KUBECONFIG);
    const events = createEventRecorder(kube, 'parley.dev/operator', 'replica', createSilentLogger());
    const replicas = [1, 2].map(
      () => new KeyRotationScheduleReconciler(kube, suite.op.operator.keyring, events, () => tomorrow),
    );
    await suite.op.operator.manager.stop(); // only the two replicas act from here on
    // Every racing reconcile must succeed: the slot's request key makes the rotation idempotent,
    // so a race is no excuse for an error (one would be requeued and hide a real failure here).
    const raced = await Promise.allSettled(
      [...replicas, ...replicas].map((r) => r.reconcile({ namespace, name })),
    );
    expect(raced.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
    for (const r of replicas) await r.reconcile({ namespace, name });
    const after = await suite.op.operator.keyring.listVersions(tenant);
    expect(after.primaryVersion).toBe(before + 1);
    // versionsKept: 1 without a rewrap (None) -> only the new version may decrypt, at once.
    expect(after.minDecryptionVersion).toBe(before + 1);
    expect((await krs(name))?.status).toMatchObject({
      currentVersion: before + 1,
      minDecryptionVersion: before + 1,
    });
    // The manager is restarted for the tests after this one.
    await suite.restart();
  });
});

describe('RetentionPolicy', { timeout: 180_000 }, () => {
  it('stores the policy, sets topic retention and purges expired messages on schedule, skipping held ones', async () => {
    const db = suite.op.clients.mongo.client.db(`parley_${tenant}`);
    const old = new Date(Date.now() - 100 * 24 * 3600_000);
    // Messaging's layout (services/messaging/README.md): string ids, which the purge re-selects by.
    await db.collection<{ _id: string; [field: string]: unknown }>('messages').insertMany([
      { _id: `m-${randomUUID()}`, conversationId: 'c-free', senderId: 'u1', createdAt: old, text: 'expired' },
      {
        _id: `m-${randomUUID()}`,
        conversationId: 'c-held',
        senderId: 'u2',
        createdAt: old,
        text: 'expired but held',
      },
      {
        _id: `m-${randomUUID()}`,
        conversationId: 'c-free',
        senderId: 'u1',
        createdAt: new Date(),
        text: 'fresh',
      },
    ]);
    await new LegalHoldStore(suite.op.clients.mongo.client, tenant).place({
      scope: { kind: 'conversation', conversationId: 'c-held' },
      reason: 'Case 42',
      setBy: 'counsel@example.com',
    });
    // Audit records: one appended (by the log's clock) eight years ago, past the sample's 2555d, one now.
    const eightYearsAgo = new Date(Date.now() - 8 * 366 * 24 * 3600_000);
    const record = (id: string) => ({
      id,
      occurredAt: new Date().toISOString(),
      actor: { type: 'user' as const, id: 'u1' },
      action: 'messaging.message.created',
      resource: { type: 'message', id },
      outcome: 'success' as const,
      metadata: {},
    });
    const oldAudit = randomUUID();
    const past = await AuditLog.open({
      client: suite.op.clients.mongo.client,
      tenant,
      clock: () => eightYearsAgo,
    });
    await past.append([record(oldAudit)], 'test');
    const present = await AuditLog.open({ client: suite.op.clients.mongo.client, tenant });
    await present.append([record(randomUUID())], 'test');
    const name = `${tenant}-default`;
    // The sample with a schedule every 3 seconds (6-field cron) so the test sees a run.
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      await sample('retentionpolicy-acme.yaml', tenant, (y) => y.replace('"30 2 * * *"', '"*/3 * * * * *"')),
    );
    await waitFor(
      'a purge run',
      async () =>
        (await getJson<{ status?: { lastRun?: unknown } }>(namespace, `retentionpolicy/${name}`))?.status
          ?.lastRun,
      30_000,
    );
    const policy = await getJson<{
      status: {
        lastRun: { purged: Record<string, number>; skippedForHolds: number; dryRun: boolean };
        nextRun: string;
        topicRetentionMs: number;
      };
    }>(namespace, `retentionpolicy/${name}`);
    expect(policy?.status.lastRun).toMatchObject({
      dryRun: false,
      // The tenant's bucket holds no media a year old: counted, none purged.
      purged: { messages: 1, audit: 1, media: 0 },
      skippedForHolds: 1,
    });
    // The first two records are the test's own, the old one pruned; the prune itself is a record
    // of the chain after them that names what it pruned. Other processes of the same test run may
    // append to the chain in the same seconds (seen once: a fourth record), so later records are
    // searched, not counted.
    const audit = await present.collections.records.find().sort({ sequence: 1 }).toArray();
    expect(
      audit.slice(0, 2).map((r) => [r._id === oldAudit, (r as { pruned?: boolean }).pruned === true]),
    ).toEqual([
      [true, true],
      [false, false],
    ]);
    const prune = audit.slice(2).find((r) => (r as { action?: string }).action === 'audit.records.pruned');
    expect(prune).toMatchObject({ action: 'audit.records.pruned', metadata: { sequences: [0] } });
    expect(policy?.status.nextRun).toBeTruthy();
    expect(policy?.status.topicRetentionMs).toBe(90 * 24 * 3600_000);
    expect((await db.collection('messages').find().toArray()).map((m) => m.text).sort()).toEqual([
      'expired but held',
      'fresh',
    ]);
    expect(await currentRetentionMs(suite.op.clients.kafkaPlatformatic, `parley.${tenant}.messages`)).toBe(
      90 * 24 * 3600_000,
    );
    const stored = await new RetentionPolicyStore(suite.op.clients.mongo.client, tenant).get(
      `${namespace}/${name}`,
    );
    expect(stored?.rules).toHaveLength(4);
    const purge = (await waitForCondition(namespace, `retentionpolicy/${name}`, 'Purge', 'True')).find(
      (c) => c.type === 'Purge',
    );
    expect(purge?.message).toMatch(/media: 0 purged, 0 held/);
  });

  it('in dryRun counts what would go and deletes nothing', async () => {
    const db = suite.op.clients.mongo.client.db(`parley_${tenant}`);
    const old = new Date(Date.now() - 40 * 24 * 3600_000);
    await db
      .collection('messages')
      .insertOne({ conversationId: 'c-dry', senderId: 'u3', createdAt: old, text: 'dry' });
    const name = uniqueId('dry-');
    await kubectlOk(
      ['apply', '-n', namespace, '-f', '-'],
      `apiVersion: parley.dev/v1alpha1\nkind: RetentionPolicy\nmetadata:\n  name: ${name}\nspec:\n  tenantRef: {name: ${tenant}}\n  schedule: "*/3 * * * * *"\n  dryRun: true\n  rules:\n    - {resource: messages, maxAge: 30d}\n`,
    );
    const run = await waitFor(
      'a dry run',
      async () =>
        (
          await getJson<{ status?: { lastRun?: { dryRun: boolean; purged: Record<string, number> } } }>(
            namespace,
            `retentionpolicy/${name}`,
          )
        )?.status?.lastRun,
      30_000,
    );
    expect(run.dryRun).toBe(true);
    expect(run.purged.messages).toBeGreaterThanOrEqual(1);
    expect(await db.collection('messages').countDocuments({ conversationId: 'c-dry' })).toBe(1);
    await kubectlOk(['delete', '-n', namespace, 'retentionpolicy', name]);
  });
});
