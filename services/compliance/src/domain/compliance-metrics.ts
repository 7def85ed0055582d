/**
 * The compliance service's own metrics, beside kit's HTTP and process metrics. The one to alert
 * on is checkpoint refusals: it means a log no longer matches what was signed (tampering, or a
 * restore from an old backup).
 */
import { metricPrefix } from '@parley/kit';
import { Counter, type Registry } from 'prom-client';

export type IngestPath = 'http' | 'kafka' | 'internal';

export class ComplianceMetrics {
  readonly #appended: Counter<'path'>;
  readonly #rejected: Counter<'path'>;
  readonly #refusals: Counter;
  readonly #gdpr: Counter<'kind' | 'status'>;
  readonly #purged: Counter<'resource'>;

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

  gdprSettled(kind: string, status: string): void {
    this.#gdpr.inc({ kind, status });
  }

  purged(resource: string, count: number): void {
    if (count > 0) this.#purged.inc({ resource }, count);
  }
}
