/**
 * Reconciles a RetentionPolicy: validates it through packages/retention and stores it where the
 * purge (and the compliance service) reads it, sets retention.ms on the tenant's messages topic,
 * and when a cron tick has passed since the last run, runs the purge through packages/retention
 * (legal holds re-read before every batch; dryRun only counts). Status carries the last run's
 * counts and the next run, and the reconcile asks to be woken at the next tick.
 *
 * The operator purges every resource a rule can name: messages (the tenant database's `messages`
 * collection), media (the tenant's S3 bucket, through packages/retention's S3MediaPurgeTarget and
 * the object layout in @parley/contracts: conversation in the key, uploader in metadata, so
 * conversation selectors and every kind of hold apply) and audit records (packages/audit-chain's
 * target prunes record bodies, so the hash chain, Merkle proofs and signed checkpoints still
 * verify).
 */

import { AuditLog, AuditPurgeTarget } from '@parley/audit-chain';
import {
  InvalidRetentionPolicyError,
  LegalHoldStore,
  messagesPurgeTarget,
  parseRetentionPolicy,
  RetentionPolicyStore,
  type RetentionRun,
  RetentionRunStore,
  runPurge,
  S3MediaPurgeTarget,
} from '@parley/retention';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import type { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Client as MinioClient } from 'minio';
import type { MongoClient } from 'mongodb';
import type { ConditionInput } from '../api/conditions.ts';
import { RETENTION_POLICY_KIND, type RetentionPolicy, type RetentionPolicyStatus } from '../api/resources.ts';
import { writeStatus } from '../api/status-writer.ts';
import type { ObjectKey, ReconcileResult, Reconciler } from '../manager/controller.ts';
import type { EventRecorder } from '../manager/event-recorder.ts';
import { getObject, type Kube } from '../manager/kube-client.ts';
import { parseAge } from '../schedule/schedule-times.ts';
import { purgeDue } from './purge-schedule.ts';
import { messagesTopicRetentionMs, setTopicRetention } from './topic-retention.ts';

const MAX_REQUEUE_MS = 3600_000;
const seconds = (iso: Date) => iso.toISOString().replace(/\.\d+Z$/, 'Z');

export interface RetentionPolicyReconcilerDeps {
  kube: Kube;
  mongo: MongoClient;
  kafka: PlatformaticAdmin;
  /** The tenant's media bucket is purged through it. */
  s3: MinioClient;
  events: EventRecorder;
  now?: () => Date;
}

export class RetentionPolicyReconciler implements Reconciler {
  readonly kind = RETENTION_POLICY_KIND;
  readonly #d: RetentionPolicyReconcilerDeps;

  constructor(deps: RetentionPolicyReconcilerDeps) {
    this.#d = deps;
  }

  async reconcile({ namespace, name }: ObjectKey): Promise<ReconcileResult> {
    const { kube, mongo } = this.#d;
    const object = await getObject<RetentionPolicy>(kube, RETENTION_POLICY_KIND, namespace, name);
    if (!object) return {};
    const now = (this.#d.now ?? (() => new Date()))();
    const { spec } = object;
    const tenant = spec.tenantRef.name;
    const conditions: ConditionInput[] = [];
    const fields: Partial<RetentionPolicyStatus> = {};

    let policy: ReturnType<typeof parseRetentionPolicy>;
    try {
      policy = parseRetentionPolicy({
        name: `${namespace}/${name}`,
        dryRun: spec.dryRun ?? false,
        rules: spec.rules.map((r) => ({
          resource: r.resource,
          maxAgeSeconds: parseAge(r.maxAge) / 1000,
          ...(r.conversationSelector?.conversationIds
            ? { conversationIds: r.conversationSelector.conversationIds }
            : {}),
        })),
      });
    } catch (error) {
      const message =
        error instanceof InvalidRetentionPolicyError ? error.problems.join('; ') : (error as Error).message;
      await writeStatus(kube, RETENTION_POLICY_KIND, object, {}, [
        { type: 'Ready', status: 'False', reason: 'InvalidPolicy', message },
      ]);
      return {};
    }

    const registry = await mongo
      .db(PLATFORM_DATABASE)
      .collection('tenants')
      .findOne({ _id: tenant as never });
    if (!registry || registry.status === 'Deleted') {
      await writeStatus(kube, RETENTION_POLICY_KIND, object, {}, [
        {
          type: 'Ready',
          status: 'False',
          reason: 'TenantNotFound',
          message: `tenant ${tenant} is not provisioned`,
        },
      ]);
      return { requeueAfterMs: 10_000 };
    }

    await new RetentionPolicyStore(mongo, tenant).put(policy);
    conditions.push({
      type: 'Stored',
      status: 'True',
      reason: 'Stored',
      message: `policy ${policy.name} stored for purges`,
    });

    const retentionMs = messagesTopicRetentionMs(spec);
    if (retentionMs !== undefined) {
      try {
        const { topic, changed } = await setTopicRetention(this.#d.kafka, tenant, retentionMs);
        fields.topicRetentionMs = retentionMs;
        if (changed)
          await this.#d.events.record(
            object,
            'Normal',
            'TopicRetentionSet',
            `${topic} retention.ms=${retentionMs}`,
          );
        conditions.push({
          type: 'TopicRetention',
          status: 'True',
          reason: 'Applied',
          message: `${topic} retention.ms=${retentionMs}`,
        });
      } catch (error) {
        conditions.push({
          type: 'TopicRetention',
          status: 'False',
          reason: 'KafkaError',
          message: (error as Error).message,
        });
      }
    } else {
      conditions.push({
        type: 'TopicRetention',
        status: 'True',
        reason: 'NoMessagesRule',
        message: 'no tenant-wide messages rule; topic retention unchanged',
      });
    }

    const schedule = spec.schedule ?? '0 3 * * *';
    const lastRunTime = object.status?.lastRun?.time ? new Date(object.status.lastRun.time) : undefined;
    const createdAt = new Date(object.metadata.creationTimestamp ?? now);
    const plan = purgeDue(schedule, lastRunTime, createdAt, now);
    if (plan.due) {
      const run = await this.#purge(tenant, policy, now);
      fields.lastRun = summarise(run, now);
      const failed = run.status === 'failed' || run.status === 'partial';
      conditions.push({
        type: 'Purge',
        status: failed ? 'False' : 'True',
        reason: failed ? 'PurgeFailed' : run.dryRun ? 'DryRun' : 'Purged',
        message: describeRun(run),
      });
      await this.#d.events.record(
        object,
        failed ? 'Warning' : 'Normal',
        run.dryRun ? 'PurgePlanned' : 'Purged',
        describeRun(run),
      );
    } else if (!object.status?.conditions?.some((c) => c.type === 'Purge')) {
      conditions.push({
        type: 'Purge',
        status: 'True',
        reason: 'Waiting',
        message: `first run at ${plan.nextRun?.toISOString() ?? 'never'}`,
      });
    }
    if (plan.nextRun) fields.nextRun = seconds(plan.nextRun);

    const failing = conditions.find((c) => c.status !== 'True');
    conditions.unshift(
      failing
        ? { type: 'Ready', status: 'False', reason: failing.reason, message: failing.message }
        : {
            type: 'Ready',
            status: 'True',
            reason: 'Applied',
            message: `purges on "${schedule}"${spec.dryRun ? ' (dry run)' : ''}`,
          },
    );
    await writeStatus(kube, RETENTION_POLICY_KIND, object, fields, conditions, now);
    if (!plan.nextRun) return {};
    return { requeueAfterMs: Math.min(MAX_REQUEUE_MS, Math.max(500, plan.nextRun.getTime() - Date.now())) };
  }

  async #purge(
    tenant: string,
    policy: ReturnType<typeof parseRetentionPolicy>,
    now: Date,
  ): Promise<RetentionRun> {
    const { mongo } = this.#d;
    const runs = new RetentionRunStore(mongo, tenant);
    const holds = new LegalHoldStore(mongo, tenant);
    return runPurge(policy, {
      tenant,
      targets: {
        audit: new AuditPurgeTarget(await AuditLog.open({ client: mongo, tenant })),
        media: new S3MediaPurgeTarget({ s3: this.#d.s3, mongo, tenant }),
        messages: messagesPurgeTarget(mongo, tenant),
      },
      holds: () => holds.active(),
      // The reconcile's clock, so the cut-offs belong to the tick the schedule said was due.
      now,
      onFinished: async (run) => {
        await runs.record(run);
      },
    });
  }
}

function summarise(run: RetentionRun, now: Date): NonNullable<RetentionPolicyStatus['lastRun']> {
  const purged: Record<string, number> = {};
  let skipped = 0;
  for (const [resource, counts] of Object.entries(run.counts)) {
    if (!counts) continue;
    purged[resource] = run.dryRun ? counts.wouldDelete : counts.deleted;
    skipped += counts.skippedHeld;
  }
  return { time: seconds(now), dryRun: run.dryRun, purged, skippedForHolds: skipped };
}

function describeRun(run: RetentionRun): string {
  const counts = Object.entries(run.counts)
    .map(
      ([r, c]) =>
        `${r}: ${run.dryRun ? `${c?.wouldDelete ?? 0} would go` : `${c?.deleted ?? 0} purged`}, ${c?.skippedHeld ?? 0} held`,
    )
    .join('; ');
  const errors = run.errors.length
    ? `; errors: ${run.errors.map((e) => `${e.resource}: ${e.message}`).join('; ')}`
    : '';
  return `${run.status}: ${counts || 'nothing expired'}${errors}`;
}
