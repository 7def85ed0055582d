/**
 * Runs a tenant's stored retention policy now (the operator runs them on their schedule; this is
 * the same code and the same purge targets, on demand): the audit log (pruned so proofs survive),
 * the tenant's messages and its media objects in S3, with legal holds re-read before every batch,
 * and the run recorded and audited.
 */
import { AuditPurgeTarget } from '@parley/audit-chain';
import {
  LegalHoldStore,
  messagesPurgeTarget,
  planPurge,
  RetentionPolicyStore,
  type RetentionRun,
  RetentionRunStore,
  runPurge,
  S3MediaPurgeTarget,
} from '@parley/retention';
import type { Client as S3Client } from 'minio';
import type { MongoClient } from 'mongodb';
import type { AuditLogs } from './audit-logs.ts';
import type { AuditTrail } from './audit-trail.ts';
import type { ComplianceMetrics } from './compliance-metrics.ts';
import { retentionRunRecord } from './derived-audit-records.ts';

export interface RetentionRunnerOptions {
  client: MongoClient;
  /** The S3 client over the tenants' buckets, for media rules. */
  s3: S3Client;
  auditLogs: AuditLogs;
  trail: AuditTrail;
  batchSize: number;
  pauseMs: number;
}

export class RetentionRunner {
  readonly #o: RetentionRunnerOptions;
  /** Set by buildApp: where deleted items are counted. */
  metrics: ComplianceMetrics | undefined;

  constructor(options: RetentionRunnerOptions) {
    this.#o = options;
  }

  policies(tenant: string): RetentionPolicyStore {
    return new RetentionPolicyStore(this.#o.client, tenant);
  }

  runs(tenant: string): RetentionRunStore {
    return new RetentionRunStore(this.#o.client, tenant);
  }

  /** Undefined when the tenant has no policy of that name. */
  async run(
    tenant: string,
    policyName: string,
    options: { dryRun?: boolean; requestedBy: string },
  ): Promise<RetentionRun | undefined> {
    const policy = await this.policies(tenant).get(policyName);
    if (!policy) return undefined;
    const holds = new LegalHoldStore(this.#o.client, tenant);
    const purgeOptions = {
      tenant,
      targets: {
        audit: new AuditPurgeTarget(await this.#o.auditLogs.get(tenant)),
        messages: messagesPurgeTarget(this.#o.client, tenant),
        media: new S3MediaPurgeTarget({ s3: this.#o.s3, mongo: this.#o.client, tenant }),
      },
      holds: () => holds.active(),
      batchSize: this.#o.batchSize,
      pauseMs: this.#o.pauseMs,
      onFinished: async (run: RetentionRun) => {
        await this.runs(tenant).record(run);
        for (const [resource, counts] of Object.entries(run.counts))
          this.metrics?.purged(resource, counts?.deleted ?? 0);
        // The stored run is the durable evidence; the sweeper rebuilds this record from it after a crash.
        await this.#o.trail.append(tenant, [retentionRunRecord(this.#o.trail, run, options.requestedBy)]);
      },
    };
    return options.dryRun ? planPurge(policy, purgeOptions) : runPurge(policy, purgeOptions);
  }
}
