/**
 * Runs LegalHolds.enforce for every tenant on a timer, so a crypto-shredding scheduled behind a
 * hold's back (directly through the crypto service) is cancelled within the keyring's waiting
 * period. Tenants are the existing tenant databases.
 */
import { type Logger, PeriodicTask, type Stoppable } from '@parley/kit';
import type { LegalHolds } from '../domain/legal-holds.ts';

export interface HoldGuardOptions {
  holds: LegalHolds;
  /** The tenants to guard (e.g. every tenant database). */
  tenants: () => Promise<string[]>;
  intervalMs: number;
  logger: Logger;
}

export class HoldGuard implements Stoppable {
  readonly name = 'hold-guard';
  readonly #o: HoldGuardOptions;
  readonly #task: PeriodicTask<void>;

  constructor(options: HoldGuardOptions) {
    this.#o = options;
    this.#task = new PeriodicTask({
      name: this.name,
      intervalMs: options.intervalMs,
      logger: options.logger,
      run: () => this.sweep(),
      // A schedule made while this process was down is cancelled at once, not an interval later.
      runAtStart: true,
    });
  }

  start(): void {
    this.#task.start();
  }

  async sweep(): Promise<void> {
    for (const tenant of await this.#o.tenants().catch(() => [])) {
      try {
        const cancelled = await this.#o.holds.enforce(tenant);
        if (cancelled.length > 0)
          this.#o.logger.warn({ tenant, cancelled }, 'legal hold: pending key destruction cancelled');
      } catch (error) {
        this.#o.logger.warn({ tenant, err: error }, 'legal hold: guard pass failed for tenant; will retry');
      }
    }
  }

  /** Stops the timer and waits for the pass in flight. */
  stop(): Promise<void> {
    return this.#task.stop();
  }
}
