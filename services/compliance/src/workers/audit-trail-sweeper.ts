/**
 * Finishes what a crash between a change and its audit append left behind (see audit-trail.ts):
 * - documents still carrying `_audit` records (`_auditPending`): their records are appended and
 *   cleared, exactly as the writer would have;
 * - legal holds set or lifted, and retention runs finished, within `lookbackMs`: their derived
 *   records are appended when the chain does not hold them yet.
 * Appends are idempotent (the chain deduplicates by record id), so replicas may sweep at once
 * and a sweep may race the writer's own append. Runs once at start (a restarted replica finishes
 * its own crash first) and every `intervalMs`.
 */
import { auditCollections } from '@parley/audit-chain';
import type { AuditRecordInput } from '@parley/contracts';
import { type Logger, PeriodicTask, type Stoppable } from '@parley/kit';
import { LegalHoldStore, RetentionRunStore } from '@parley/retention';
import { mongoDatabaseName } from '@parley/tenancy';
import type { Document, MongoClient } from 'mongodb';
import { type AuditTrail, PENDING_AUDIT_FIELD, PENDING_AUDIT_FLAG } from '../domain/audit-trail.ts';
import { holdLiftedRecord, holdPlacedRecord, retentionRunRecord } from '../domain/derived-audit-records.ts';
import { AUDIT_PENDING_COLLECTIONS } from '../store/gdpr-collections.ts';

export interface AuditTrailSweeperOptions {
  client: MongoClient;
  trail: AuditTrail;
  tenants: () => Promise<string[]>;
  logger: Logger;
  intervalMs: number;
  /** How far back holds and retention runs are checked against the chain (default 7 days). */
  lookbackMs?: number;
  batchSize?: number;
}

export class AuditTrailSweeper implements Stoppable {
  readonly name = 'audit-trail-sweeper';
  readonly #o: Required<AuditTrailSweeperOptions>;
  readonly #task: PeriodicTask<number>;

  constructor(options: AuditTrailSweeperOptions) {
    this.#o = { lookbackMs: 7 * 86_400_000, batchSize: 100, ...options };
    this.#task = new PeriodicTask({
      name: this.name,
      intervalMs: this.#o.intervalMs,
      logger: this.#o.logger,
      run: () => this.flush(),
      // At start: whatever a crash left pending is appended before new work piles on.
      runAtStart: true,
    });
  }

  start(): void {
    this.#task.start();
  }

  /** Stops the timer and waits for the sweep in flight. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** Sweeps every tenant now; returns how many records were appended (duplicates included). */
  async flush(): Promise<number> {
    let swept = 0;
    for (const tenant of await this.#o.tenants()) swept += await this.sweepTenant(tenant);
    return swept;
  }

  async sweepTenant(tenant: string): Promise<number> {
    return (await this.#sweepEmbedded(tenant)) + (await this.#sweepDerived(tenant));
  }

  async #sweepEmbedded(tenant: string): Promise<number> {
    const db = this.#o.client.db(mongoDatabaseName(tenant));
    let swept = 0;
    for (const name of AUDIT_PENDING_COLLECTIONS) {
      const collection = db.collection<Document>(name);
      const pending = await collection
        .find({ [PENDING_AUDIT_FLAG]: true }, { projection: { [PENDING_AUDIT_FIELD]: 1 } })
        .limit(this.#o.batchSize)
        .toArray();
      for (const document of pending) {
        const records = (document[PENDING_AUDIT_FIELD] ?? []) as AuditRecordInput[];
        await this.#o.trail.settle(tenant, collection, document._id, records);
        swept += records.length;
      }
    }
    return swept;
  }

  async #sweepDerived(tenant: string): Promise<number> {
    const since = new Date(Date.now() - this.#o.lookbackMs).toISOString();
    const expected: AuditRecordInput[] = [];
    for (const hold of await new LegalHoldStore(this.#o.client, tenant).list({ includeLifted: true })) {
      if (hold.setAt >= since) expected.push(holdPlacedRecord(this.#o.trail, hold));
      const lifted = holdLiftedRecord(this.#o.trail, hold);
      if (lifted && lifted.occurredAt >= since) expected.push(lifted);
    }
    for (const run of await new RetentionRunStore(this.#o.client, tenant).list({ limit: 500 })) {
      if (run.finishedAt >= since) expected.push(retentionRunRecord(this.#o.trail, run));
    }
    // One look-up by _id each (indexed everywhere; $in is a scan on some Mongo-wire servers).
    const records = auditCollections(this.#o.client, tenant).records;
    const missing: AuditRecordInput[] = [];
    for (const record of expected) {
      if (!(await records.findOne({ _id: record.id }, { projection: { _id: 1 } }))) missing.push(record);
    }
    missing.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    if (missing.length > 0) {
      await this.#o.trail.append(tenant, missing);
      this.#o.logger.warn(
        { tenant, recordIds: missing.map((r) => r.id) },
        'audit trail: appended records a crash had left out',
      );
    }
    return missing.length;
  }
}
