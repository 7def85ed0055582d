/**
 * Purges expired open sign-up requests (`sign_ups` past `expiresAt`): a pending registration holds
 * a password hash and an address that must not outlive the link (FerretDB has no TTL indexes, so
 * expiry is Parley's own job). A pass every `intervalMs` (bounded by the settings) over every
 * provisioned tenant; `stop()` waits for the pass in flight, so a shutdown leaves no half-done
 * pass. An expired request's delivery event, if still unpublished, goes with it: the link it asks
 * to send is already dead.
 */
import type { Logger, Stoppable } from '@parley/kit';
import type { TenantStore } from './store/tenant-store.ts';

export class SignUpSweeper implements Stoppable {
  readonly name = 'sign-up-sweeper';
  readonly #store: TenantStore;
  readonly #tenants: () => Promise<string[]>;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = true;

  constructor(options: {
    store: TenantStore;
    /** The tenants to sweep, asked on every pass (tenants come and go). */
    tenants: () => Promise<string[]>;
    intervalMs: number;
    logger: Logger;
  }) {
    this.#store = options.store;
    this.#tenants = options.tenants;
    this.#intervalMs = options.intervalMs;
    this.#logger = options.logger;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => 0);
  }

  /** One pass now: removes every tenant's expired sign-up requests; returns how many. */
  async sweep(now = new Date()): Promise<number> {
    if (this.#running) await this.#running.catch(() => 0);
    this.#running = this.#pass(now);
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      try {
        const removed = await this.sweep();
        if (removed > 0) this.#logger.info({ removed }, 'sign-up sweeper: expired requests purged');
      } catch (error) {
        this.#logger.warn({ err: error }, 'sign-up sweeper: pass failed; will retry');
      }
      this.#schedule();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async #pass(now: Date): Promise<number> {
    let removed = 0;
    for (const tenant of await this.#tenants()) {
      const c = await this.#store.forTenant(tenant);
      removed += (await c.signUps.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
    }
    return removed;
  }
}
