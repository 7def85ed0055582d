/**
 * Purges expired open sign-up requests (`sign_ups` past `expiresAt`): a pending registration holds
 * a password hash and an address that must not outlive the link (FerretDB has no TTL indexes, so
 * expiry is Parley's own job). A pass every `intervalMs` (bounded by the settings) over every
 * provisioned tenant; `stop()` waits for the pass in flight, so a shutdown leaves no half-done
 * pass. An expired request's delivery event, if still unpublished, goes with it: the link it asks
 * to send is already dead. Its delivery key (`subject:<sign-up id>`, delivery-sealing.ts) is
 * shredded first, so the copy the notifications topic keeps for 7 days is unreadable from then on:
 * an expired request never became anyone's account, so no erasure would ever shred it.
 * Expired password reset requests (`password_resets`, password-reset.ts) go the same way, their
 * delivery keys (`subject:<reset id>`) shredded first: a reset link's token must not outlive it.
 */
import { type Logger, PeriodicTask, type Stoppable } from '@parley/kit';
import type { Collection } from 'mongodb';
import { type DeliveryShredder, shredDeliveries } from '../domain/delivery-sealing.ts';
import type { TenantStore } from '../store/tenant-store.ts';

interface Expiring {
  _id: string;
  expiresAt: Date;
}

/** Expired requests handled per tenant and pass (the next pass takes the rest). */
const BATCH = 1_000;

export class SignUpSweeper implements Stoppable {
  readonly name = 'sign-up-sweeper';
  readonly #store: TenantStore;
  readonly #shredder: DeliveryShredder;
  readonly #tenants: () => Promise<string[]>;
  readonly #task: PeriodicTask<number>;

  constructor(options: {
    store: TenantStore;
    /** Shreds expired requests' delivery keys (the keyring). */
    shredder: DeliveryShredder;
    /** The tenants to sweep, asked on every pass (tenants come and go). */
    tenants: () => Promise<string[]>;
    intervalMs: number;
    logger: Logger;
  }) {
    this.#store = options.store;
    this.#shredder = options.shredder;
    this.#tenants = options.tenants;
    this.#task = new PeriodicTask({
      name: this.name,
      intervalMs: options.intervalMs,
      logger: options.logger,
      run: () => this.sweep(),
      onResult: (removed, logger) => {
        if (removed > 0) logger.info({ removed }, 'sign-up sweeper: expired requests purged');
      },
    });
  }

  start(): void {
    this.#task.start();
  }

  /** Stops the timer and waits for the pass in flight. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** One pass now: removes every tenant's expired sign-up requests; returns how many. */
  async sweep(now = new Date()): Promise<number> {
    let removed = 0;
    for (const tenant of await this.#tenants()) {
      const c = await this.#store.forTenant(tenant);
      // Both hold `_id` and `expiresAt`, all the sweep reads.
      const expiring = [c.signUps, c.passwordResets] as unknown as Collection<Expiring>[];
      for (const collection of expiring) {
        const expired = (
          await collection
            .find({ expiresAt: { $lte: now } }, { projection: { _id: 1 } })
            .limit(BATCH)
            .toArray()
        ).map((d) => d._id);
        if (expired.length === 0) continue;
        // Shredded before the documents go: a crash in between is finished by the next pass.
        await shredDeliveries(this.#shredder, tenant, expired);
        removed += (await collection.deleteMany({ _id: { $in: expired } })).deletedCount;
      }
    }
    return removed;
  }
}
