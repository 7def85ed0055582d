/**
 * Finishes what a crash left half-done: message_log entries written but not applied (their
 * writer died between the log insert and the projection) once they are older than
 * SEQ_VOID_AFTER_MS. Catch-up reads repair too (domain/history.ts); this worker makes sure a
 * change nobody reads still reaches `messages` and its topic.
 */
import { type Logger, PeriodicTask, type Worker } from '@parley/kit';
import type { ChangeApplier } from '../domain/change-applier.ts';
import type { MessagingStore } from '../store/collections.ts';

export class LogRepair implements Worker {
  readonly name = 'messaging-log-repair';
  readonly #task: PeriodicTask;

  constructor(options: {
    store: MessagingStore;
    applier: ChangeApplier;
    tenants: () => Promise<string[]>;
    olderThanMs: number;
    intervalMs: number;
    logger: Logger;
  }) {
    this.#task = new PeriodicTask({
      name: this.name,
      intervalMs: options.intervalMs,
      logger: options.logger,
      run: async () => {
        for (const tenant of await options.tenants()) {
          const c = await options.store.of(tenant);
          const stale = await c.log
            .find({ applied: false, at: { $lt: new Date(Date.now() - options.olderThanMs) } })
            .limit(500)
            .toArray();
          for (const entry of stale) await options.applier.apply(c, entry);
          if (stale.length > 0)
            options.logger.warn(
              { tenant, repaired: stale.length },
              'messaging: finished changes a crash left unapplied',
            );
        }
      },
    });
  }

  /** One pass now (tests, and an operator's nudge). */
  runNow(): Promise<unknown> {
    return this.#task.runNow();
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }
}
