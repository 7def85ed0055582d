/**
 * One background rewrap per tenant key at a time, across processes: a lease document in
 * `parley_platform.key_rewrap_leases` (`_id` `<tenant>/<keyName>`, the holder's token and an
 * expiry). Taking it is a unique-key insert, which MongoDB and FerretDB both arbitrate (FerretDB
 * does not isolate a conditional update: two "compare-and-sets" of one document can both
 * succeed, so a lease taken by update would not exclude anyone there). A holder renews it before
 * each batch and gives it back when its slice ends; a holder that died leaves it to expire, and
 * the next one removes exactly that expired document (by holder and expiry) and competes again.
 *
 * Why it is needed although the operator runs one reconcile per schedule, on the leader only: two
 * schedules may name the same tenant key, a leader that lost its lease may still be finishing a
 * slice while the new one starts, and a person may run the job by hand. Two runners did the same
 * work twice and overwrote each other's progress: counts lost, a Done turned back into Running.
 */
import { isDuplicateKeyError } from '@parley/kit';
import type { Collection, Db } from 'mongodb';

export const REWRAP_LEASE_COLLECTION = 'key_rewrap_leases';

interface RewrapLeaseDocument {
  _id: string;
  holder: string;
  until: Date;
}

export class RewrapLeases {
  readonly #collection: Collection<RewrapLeaseDocument>;
  readonly #leaseMs: number;
  readonly #now: () => Date;

  constructor(platformDb: Db, leaseMs: number, now: () => Date) {
    this.#collection = platformDb.collection<RewrapLeaseDocument>(REWRAP_LEASE_COLLECTION);
    this.#leaseMs = leaseMs;
    this.#now = now;
  }

  #until(): Date {
    return new Date(this.#now().getTime() + this.#leaseMs);
  }

  /** True when `holder` now holds the lease of `id` (taken, or still its own). */
  async acquire(id: string, holder: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.#collection.insertOne({ _id: id, holder, until: this.#until() });
        return true;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const current = await this.#collection.findOne({ _id: id });
      if (!current) continue; // given back meanwhile: compete again
      if (current.holder === holder) return this.renew(id, holder);
      if (current.until.getTime() > this.#now().getTime()) return false;
      // Expired: its holder died or stalled. Remove exactly that document, then compete again.
      await this.#collection.deleteOne({ _id: id, holder: current.holder, until: current.until });
    }
    return false;
  }

  /** Extends the lease; false when `holder` no longer holds it (it expired and was taken). */
  async renew(id: string, holder: string): Promise<boolean> {
    const result = await this.#collection.updateOne({ _id: id, holder }, { $set: { until: this.#until() } });
    return result.matchedCount === 1;
  }

  async release(id: string, holder: string): Promise<void> {
    await this.#collection.deleteOne({ _id: id, holder });
  }
}
