/**
 * The compliance service's own metrics, beside kit's HTTP and process metrics. Two to alert on:
 * checkpoint refusals (a log no longer matches what was signed: tampering, or a restore from an
 * old backup), and a checkpoint overdue (records wait unsigned while the last checkpoint grows
 * old: signing or publishing keeps failing), read from the two per-tenant gauges.
 */
import { metricPrefix } from '@parley/kit';
import { Counter, Gauge, type Registry } from 'prom-client';

export type IngestPath = 'http' | 'kafka' | 'internal';

export class ComplianceMetrics {
  readonly #appended: Counter<'path'>;
  readonly #rejected: Counter<'path'>;
  readonly #refusals: Counter;
  readonly #gdpr: Counter<'kind' | 'status'>;
  readonly #purged: Counter<'resource'>;
  readonly #unsigned: Gauge<'tenant'>;
  readonly #lastCheckpoint: Gauge<'tenant'>;

  constructor(registry: Registry) {
    const prefix = metricPrefix('compliance');
    this.#appended = new Counter({
      name: `${prefix}audit_records_appended_total`,
      help: 'Audit records appended to a chain, by how they arrived (duplicates not counted)',
      labelNames: ['path'],
      registers: [registry],
    });
    this.#rejected = new Counter({
      name: `${prefix}audit_records_rejected_total`,
      help: 'Audit records refused (invalid, another tenant, sealed fields that do not open), by path',
      labelNames: ['path'],
      registers: [registry],
    });
    this.#refusals = new Counter({
      name: `${prefix}audit_checkpoint_refusals_total`,
      help: 'Checkpoints refused because the stored log no longer matches the last signed one',
      registers: [registry],
    });
    this.#gdpr = new Counter({
      name: `${prefix}gdpr_jobs_settled_total`,
      help: 'GDPR export and erasure rounds settled, by kind and end state',
      labelNames: ['kind', 'status'],
      registers: [registry],
    });
    this.#purged = new Counter({
      name: `${prefix}retention_items_deleted_total`,
      help: 'Items deleted (audit: pruned) by retention runs, by resource',
      labelNames: ['resource'],
      registers: [registry],
    });
    this.#unsigned = new Gauge({
      name: `${prefix}audit_unsigned_records`,
      help: "Records of a tenant's audit log that no signed checkpoint covers yet, as of the last checkpoint attempt",
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.#lastCheckpoint = new Gauge({
      name: `${prefix}audit_last_checkpoint_timestamp_seconds`,
      help: "When a tenant's latest signed checkpoint was issued (0: never), as of the last checkpoint attempt",
      labelNames: ['tenant'],
      registers: [registry],
    });
  }

  appended(path: IngestPath, count: number): void {
    if (count > 0) this.#appended.inc({ path }, count);
  }

  rejected(path: IngestPath, count = 1): void {
    this.#rejected.inc({ path }, count);
  }

  checkpointRefused(): void {
    this.#refusals.inc();
  }

  /** After each checkpoint attempt: how far the log runs ahead of its latest checkpoint. */
  checkpointState(
    tenant: string,
    treeSize: number,
    latest: { treeSize: number; issuedAt: string } | undefined,
  ): void {
    this.#unsigned.set({ tenant }, Math.max(0, treeSize - (latest?.treeSize ?? 0)));
    this.#lastCheckpoint.set({ tenant }, latest ? Date.parse(latest.issuedAt) / 1000 : 0);
  }

  gdprSettled(kind: string, status: string): void {
    this.#gdpr.inc({ kind, status });
  }

  purged(resource: string, count: number): void {
    if (count > 0) this.#purged.inc({ resource }, count);
  }
}
