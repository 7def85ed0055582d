/**
 * The background rewrap's progress for one tenant key, one document per key in
 * `parley_platform.key_rewrap_progress` (`_id` `<tenant>/<keyName>`), next to the keys
 * themselves. It is what makes the job resumable (a cursor per field) and what the operator
 * reports in the KeyRotationSchedule's status. It is advice, not truth: the truth is the version
 * in each ciphertext's header, which is why a crash between a rewrite and saving the cursor
 * costs only a re-examination (the ciphertext is then found current).
 *
 * Written by one process at a time (the operator's leader; one reconcile per schedule at a
 * time), so a plain replace is enough even on FerretDB, which does not isolate updates.
 */
import type { Collection, Db } from 'mongodb';

export const REWRAP_PROGRESS_COLLECTION = 'key_rewrap_progress';

/** One registered field in the current pass. */
export interface FieldProgress {
  /** The declaration's id (`<owner>.<collection>.<field>`). */
  id: string;
  /** Documents carrying the field when the pass started. */
  total: number;
  /** Examined so far in this pass (in `_id` order, up to `cursor`). */
  examined: number;
  /** Moved to the target version in this pass. */
  rewrapped: number;
  /** Already at the target version or later. */
  current: number;
  /** Sealed under another key of the tenant (not this schedule's): left alone. */
  otherKey: number;
  /** Changed by another writer between our read and our compare-and-set and still below the target. */
  conflicts: number;
  /** Could not be re-wrapped (unreadable, tampered, or below the minimum decryption version). */
  failed: number;
  /** The last `_id` examined; the next batch starts after it. */
  cursor?: unknown;
  finished: boolean;
}

export type RewrapState =
  /** A pass is under way. */
  | 'Running'
  /** Between passes: waiting until writers' key caches cannot hold an older version any more. */
  | 'Waiting'
  /** The last pass found ciphertexts it could not re-wrap; the next pass starts at `nextPassAt`. */
  | 'Failed'
  /** Every registered ciphertext of the key is at `completedVersion` or later. */
  | 'Done';

export interface RewrapProgress {
  _id: string;
  tenant: string;
  keyName: string;
  state: RewrapState;
  /** The primary version the current pass moves ciphertexts to. */
  targetVersion: number;
  /** Passes run towards this target (the last clean one completes it). */
  pass: number;
  passStartedAt: Date;
  /** A pass is clean only if it started after this: writers' caches no longer hold an older primary. */
  settledAt: Date;
  /** When the next pass may start (Waiting, Failed). */
  nextPassAt?: Date;
  fields: FieldProgress[];
  /** Re-wrapped towards this target over all passes. */
  rewrappedForTarget: number;
  /** Some failures of the last pass, for a person to act on (ids and error codes, never data). */
  failures: { field: string; id: string; code: string }[];
  /**
   * The highest version that every registered ciphertext was known to be at (or above) at the
   * end of a clean pass: the minimum decryption version can safely rise to it.
   */
  completedVersion?: number;
  completedAt?: Date;
  updatedAt: Date;
}

export const progressId = (tenant: string, keyName: string) => `${tenant}/${keyName}`;

export class RewrapProgressStore {
  readonly #collection: Collection<RewrapProgress>;

  constructor(platformDb: Db) {
    this.#collection = platformDb.collection<RewrapProgress>(REWRAP_PROGRESS_COLLECTION);
  }

  get(tenant: string, keyName: string): Promise<RewrapProgress | null> {
    return this.#collection.findOne({ _id: progressId(tenant, keyName) });
  }

  async save(progress: RewrapProgress): Promise<void> {
    await this.#collection.replaceOne({ _id: progress._id }, progress, { upsert: true });
  }

  /** Forgets a tenant's progress (its keys were destroyed or the tenant is gone). */
  async deleteTenant(tenant: string): Promise<void> {
    await this.#collection.deleteMany({ tenant });
  }
}
