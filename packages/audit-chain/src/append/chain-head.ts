/**
 * Where the hash chain ends (sequence and hash of its last record), cached per writer. Many
 * writers append to one tenant's log; the cache is a guess the unique sequence index checks, and
 * a writer that loses a race forgets it (`forget`) and reads it again.
 */
import { GENESIS_HASH } from '../record/audit-record.ts';
import { type AuditCollections, HEAD_HINT_ID } from '../store/audit-collections.ts';

export interface Head {
  sequence: number;
  hash: string;
}

export class ChainHead {
  readonly #tenant: string;
  readonly #collections: AuditCollections;
  #head: Head | undefined;
  #hintWrite: Promise<void> = Promise.resolve();

  constructor(tenant: string, collections: AuditCollections) {
    this.#tenant = tenant;
    this.#collections = collections;
  }

  /** The cached head, or the stored one. */
  async current(): Promise<Head> {
    return this.#head ?? (await this.read());
  }

  /** This writer appended up to `head`. */
  advance(head: Head): void {
    this.#head = head;
    this.#advanceHint(head);
  }

  /** Another writer took the next sequence: the cached head is stale. */
  forget(): void {
    this.#head = undefined;
  }

  /**
   * The chain's last record, read from the store. Sorting by sequence is a scan on some
   * Mongo-wire servers, so the head is found from a hint (collection audit_head, moved forward
   * after appends, possibly behind) by galloping forward with equality look-ups on the unique
   * (tenant, sequence) index: O(log k) look-ups for a hint k records behind. Without a usable
   * hint, one sorted query.
   */
  async read(): Promise<Head> {
    const hint = await this.#collections.head.findOne({ _id: HEAD_HINT_ID });
    const at = async (sequence: number) =>
      this.#collections.records.findOne(
        { tenant: this.#tenant, sequence },
        { projection: { sequence: 1, hash: 1 } },
      );
    let found = hint ? await at(hint.sequence) : null;
    if (!found) {
      const last = await this.#collections.records
        .find({ tenant: this.#tenant }, { projection: { sequence: 1, hash: 1 } })
        .sort({ sequence: -1 })
        .limit(1)
        .next();
      this.#head = last ? { sequence: last.sequence, hash: last.hash } : { sequence: -1, hash: GENESIS_HASH };
      return this.#head;
    }
    let low = found;
    let step = 1;
    let high: number | undefined;
    while (high === undefined) {
      const probe = await at(low.sequence + step);
      if (probe) {
        low = probe;
        step *= 2;
      } else {
        high = low.sequence + step;
      }
    }
    while (high - low.sequence > 1) {
      const middle = Math.floor((low.sequence + high) / 2);
      const probe = await at(middle);
      if (probe) low = probe;
      else high = middle;
    }
    found = low;
    this.#head = { sequence: found.sequence, hash: found.hash };
    this.#advanceHint(this.#head);
    return this.#head;
  }

  /** Moves the head hint forward (never back), in the background: appends never wait on it. */
  #advanceHint(head: Head): void {
    this.#hintWrite = this.#hintWrite
      .then(() =>
        this.#collections.head.updateOne(
          { _id: HEAD_HINT_ID, sequence: { $lt: head.sequence } },
          { $set: { sequence: head.sequence, hash: head.hash } },
          { upsert: true },
        ),
      )
      .then(
        () => undefined,
        () => undefined, // a newer hint already there (the upsert collides): nothing to do
      );
  }
}
