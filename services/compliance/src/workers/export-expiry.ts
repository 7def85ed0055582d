/**
 * Export archives hold everything about a person, so they do not outlive their purpose: parts
 * older than EXPORT_RETENTION_DAYS are deleted (the job and its signed receipt stay, the archive
 * answers 410). Runs on a timer over every tenant database; each pass is one deleteMany per tenant.
 */
import { type Logger, PeriodicTask, type Stoppable } from '@parley/kit';
import type { Collection, Document } from 'mongodb';

export interface ExportExpiryOptions {
  /** Every tenant's gdpr_export_parts collection. */
  exportParts: () => Promise<Collection<Document>[]>;
  retentionDays: number;
  intervalMs: number;
  logger: Logger;
}

export class ExportExpiry implements Stoppable {
  readonly name = 'export-expiry';
  readonly #o: ExportExpiryOptions;
  readonly #task: PeriodicTask<number>;

  constructor(options: ExportExpiryOptions) {
    this.#o = options;
    this.#task = new PeriodicTask({
      name: this.name,
      intervalMs: options.intervalMs,
      logger: options.logger,
      run: () => this.sweep(),
    });
  }

  start(): void {
    this.#task.start();
  }

  /** Deletes expired export parts everywhere; returns how many went. */
  async sweep(now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.#o.retentionDays * 86_400_000).toISOString();
    let deleted = 0;
    for (const parts of await this.#o.exportParts()) {
      deleted += (await parts.deleteMany({ uploadedAt: { $lt: cutoff } })).deletedCount;
    }
    if (deleted > 0) this.#o.logger.info({ deleted }, 'gdpr: expired export parts deleted');
    return deleted;
  }

  /** Stops the timer and waits for the pass in flight. */
  stop(): Promise<void> {
    return this.#task.stop();
  }
}
