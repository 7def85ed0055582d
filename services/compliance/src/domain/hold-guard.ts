/**
 * Runs LegalHolds.enforce for every tenant on a timer, so a crypto-shredding scheduled behind a
 * hold's back (directly through the crypto service) is cancelled within the keyring's waiting
 * period. Tenants are the existing tenant databases.
 */
import type { Logger, Stoppable } from '@parley/kit';
import type { LegalHolds } from './legal-holds.ts';

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
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: HoldGuardOptions) {
    this.#o = options;
  }

  start(): void {
    const pass = () => {
      this.#running ??= this.sweep().finally(() => {
        this.#running = undefined;
      });
    };
    setImmediate(pass);
    this.#timer = setInterval(pass, this.#o.intervalMs);
    this.#timer.unref();
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

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
