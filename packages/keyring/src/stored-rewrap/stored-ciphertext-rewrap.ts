/**
 * Background rewrap of stored ciphertexts after a tenant key rotates (Vault transit's "rewrap",
 * applied to everything Parley stores): walks every registered encrypted field
 * (@parley/contracts' ENCRYPTED_FIELDS) of one tenant, in `_id` order, batch by batch, and moves
 * each ciphertext below the key's primary version to it through `Keyring.rewrap`: an envelope
 * gets its data key re-wrapped (payload untouched), a wrapped data key is re-wrapped, a small
 * payload sealed directly under the tenant key (kind 1: TOTP secrets, signing keys) is re-sealed
 * inside the keyring. No plaintext leaves the keyring.
 *
 * Safe against a concurrent writer: each document is rewritten by compare-and-set on the exact
 * ciphertext read (`updateOne({_id, field: old}, {$set: {field: new}})`), so a value written
 * meanwhile (a user re-enrolling TOTP) is never overwritten; such a document is read again and
 * counted as a conflict only if it is still below the target. On FerretDB a compare-and-set is
 * not isolated (a document is read and written back whole), so where the field's writers take a
 * per-document lock (the declaration's `lock`: messaging's messages and conversations) the
 * rewrite holds it too, and every rewrite is read back: one that a concurrent writer undid
 * counts as a conflict, so that pass does not complete the target.
 *
 * Resumable and idempotent: a cursor per field is saved after every batch (rewrap-progress.ts);
 * re-running re-examines at most one batch, and a ciphertext already at the target is left as
 * is. A pass completes the target only if it is clean (no failure, no unresolved conflict) and
 * started after `settledAt` = the version's creation + `settleMs`, the longest a writer may go
 * on encrypting under the previous primary from its key cache. So right after a rotation a
 * first pass does the work and a second, after the settle time, proves nothing was left behind.
 *
 * One runner per key at a time (rewrap-lease.ts): a call that finds the key's lease held by
 * another runner does nothing and reports the saved progress as Running, so its caller looks
 * again soon; a runner that loses its lease (it stalled past the expiry) stops before its next write.
 *
 * Run by the operator (see operator/src/key-rotation-schedule/): it reconciles the schedule that
 * asks for Background, already holds a keyring over the platform database and a Mongo client
 * reaching every tenant database, and reports the progress in the schedule's status.
 */
import { randomUUID } from 'node:crypto';
import type { EncryptedFieldDeclaration } from '@parley/contracts';
import { ciphertextKeyVersion } from '@parley/envelope';
import { type DocumentLockDocument, type Logger, withDocumentLock } from '@parley/kit';
import { mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';
import type { Collection, Db, Document, Filter, MongoClient } from 'mongodb';
import { KeyringError } from '../errors.ts';
import type { Keyring } from '../keyring.ts';
import { RewrapLeases } from './rewrap-lease.ts';
import {
  type FieldProgress,
  progressId,
  type RewrapProgress,
  RewrapProgressStore,
} from './rewrap-progress.ts';

export interface StoredRewrapOptions {
  client: MongoClient;
  keyring: Keyring;
  fields: readonly EncryptedFieldDeclaration[];
  logger: Logger;
  /** Where registered `platform` fields and the progress live; default `parley_platform` of `client`. */
  platformDb?: Db;
  /** Documents read per batch (default 200). */
  batchSize?: number;
  /**
   * How long after a rotation writers may still encrypt under the previous primary: at least the
   * largest KEY_CACHE_TTL_MS of any process that writes a registered field. Default 60 s
   * (twice the default cache TTL).
   */
  settleMs?: number;
  /** After a pass with failures, the next pass waits this long (default 5 min). */
  failedRetryMs?: number;
  /**
   * How long a runner's lease on a key lasts without renewal (renewed before every batch):
   * longer than any one batch takes; a runner that died blocks others this long. Default 2 min.
   */
  leaseMs?: number;
  now?: () => Date;
}

/** One rewritten ciphertext, prepared but not yet written. */
export interface PendingRewrite {
  id: unknown;
  previous: string;
  next: string;
}

/** A batch read and re-wrapped in memory (`prepareBatch`), to be written by `commitBatch`. */
export interface PreparedBatch {
  progress: RewrapProgress;
  fieldIndex: number;
  /** The last `_id` read, or undefined when the field had nothing left. */
  lastId?: unknown;
  exhausted: boolean;
  examined: number;
  current: number;
  otherKey: number;
  failed: { id: string; code: string }[];
  rewrites: PendingRewrite[];
  /** The lease this batch was prepared under (`commitBatch` writes only while it is still held). */
  holder: string;
}

const MAX_FAILURES_KEPT = 10;

function valueAt(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const emptyField = (id: string, total: number): FieldProgress => ({
  id,
  total,
  examined: 0,
  rewrapped: 0,
  current: 0,
  otherKey: 0,
  conflicts: 0,
  failed: 0,
  finished: false,
});

export class StoredCiphertextRewrap {
  readonly #o: Required<Omit<StoredRewrapOptions, 'fields'>> & {
    fields: readonly EncryptedFieldDeclaration[];
  };
  readonly #store: RewrapProgressStore;
  readonly #leases: RewrapLeases;

  constructor(options: StoredRewrapOptions) {
    this.#o = {
      batchSize: 200,
      settleMs: 60_000,
      failedRetryMs: 300_000,
      leaseMs: 120_000,
      now: () => new Date(),
      platformDb: options.client.db(PLATFORM_DATABASE),
      ...options,
    };
    this.#store = new RewrapProgressStore(this.#o.platformDb);
    this.#leases = new RewrapLeases(this.#o.platformDb, this.#o.leaseMs, this.#o.now);
  }

  /** The saved progress, without advancing it. */
  progress(tenant: string, keyName: string): Promise<RewrapProgress | null> {
    return this.#store.get(tenant, keyName);
  }

  /**
   * Advances the rewrap of one key for about `budgetMs` (at least one batch when a pass is
   * running) and returns the progress. Call it again while the state is Running; when Waiting or
   * Failed, call it again at `nextPassAt`.
   */
  async advance(tenant: string, keyName: string, options: { budgetMs: number }): Promise<RewrapProgress> {
    const deadline = Date.now() + options.budgetMs;
    const lease = progressId(tenant, keyName);
    const holder = randomUUID();
    if (!(await this.#leases.acquire(lease, holder))) return this.#heldElsewhere(tenant, keyName);
    try {
      let progress = await this.#begin(tenant, keyName);
      do {
        if (progress.state !== 'Running') return progress;
        const batch = await this.#prepare(progress, holder);
        // Stalled past the lease and another runner took over: its progress stands, not ours.
        if (!(await this.#leases.renew(lease, holder))) return progress;
        progress = await this.#commit(batch);
      } while (Date.now() < deadline);
      return progress;
    } finally {
      await this.#leases.release(lease, holder);
    }
  }

  /**
   * The two halves of one batch, for callers (and tests) that need to act between reading and
   * writing: `prepareBatch` takes the key's lease, reads and re-wraps in memory; `commitBatch`
   * writes each rewrite by compare-and-set, saves the progress and gives the lease back.
   * Undefined when no pass is running or another runner holds the lease.
   */
  async prepareBatch(tenant: string, keyName: string): Promise<PreparedBatch | undefined> {
    const lease = progressId(tenant, keyName);
    const holder = randomUUID();
    if (!(await this.#leases.acquire(lease, holder))) return undefined;
    const progress = await this.#begin(tenant, keyName);
    if (progress.state === 'Running') return this.#prepare(progress, holder);
    await this.#leases.release(lease, holder);
    return undefined;
  }

  async commitBatch(batch: PreparedBatch): Promise<RewrapProgress> {
    const lease = batch.progress._id;
    try {
      if (!(await this.#leases.renew(lease, batch.holder)))
        throw new Error(`the rewrap lease of ${lease} was lost before this batch was written`);
      return await this.#commit(batch);
    } finally {
      await this.#leases.release(lease, batch.holder);
    }
  }

  /** What a runner that found the lease taken reports: the saved progress, as Running (look again soon). */
  async #heldElsewhere(tenant: string, keyName: string): Promise<RewrapProgress> {
    const saved = await this.#store.get(tenant, keyName);
    if (saved) return { ...saved, state: 'Running' };
    const now = this.#o.now();
    const key = await this.#o.keyring.listVersions(tenant, keyName);
    return this.#fresh(tenant, keyName, key.primaryVersion, now, now);
  }

  // ---- passes --------------------------------------------------------------------------------

  /** Reads the key and the progress; starts a pass when the primary moved or a wait is over. */
  async #begin(tenant: string, keyName: string): Promise<RewrapProgress> {
    // The keyring's cache may predate a rotation made by another process: rewrap to the real primary.
    this.#o.keyring.invalidate(tenant, keyName);
    const key = await this.#o.keyring.listVersions(tenant, keyName);
    const primary = key.primaryVersion;
    const saved = await this.#store.get(tenant, keyName);
    if (saved?.completedVersion !== undefined && saved.completedVersion >= primary) return saved;
    const now = this.#o.now();
    if (primary === 1) {
      // No ciphertext can be below the first version.
      const done: RewrapProgress = {
        ...(saved ?? this.#fresh(tenant, keyName, 1, now, now)),
        state: 'Done',
        completedVersion: 1,
        completedAt: now,
        updatedAt: now,
      };
      await this.#store.save(done);
      return done;
    }
    const createdAt = key.versions.find((v) => v.version === primary)?.createdAt ?? key.updatedAt;
    const settledAt = new Date(new Date(createdAt).getTime() + this.#o.settleMs);
    if (!saved || saved.targetVersion !== primary) {
      const started = await this.#startPass(this.#fresh(tenant, keyName, primary, now, settledAt), saved);
      return started;
    }
    if ((saved.state === 'Waiting' || saved.state === 'Failed') && (saved.nextPassAt ?? now) <= now) {
      return this.#startPass(saved, saved);
    }
    return saved;
  }

  #fresh(tenant: string, keyName: string, target: number, now: Date, settledAt: Date): RewrapProgress {
    return {
      _id: progressId(tenant, keyName),
      tenant,
      keyName,
      state: 'Running',
      targetVersion: target,
      pass: 0,
      passStartedAt: now,
      settledAt,
      fields: [],
      rewrappedForTarget: 0,
      failures: [],
      updatedAt: now,
    };
  }

  async #startPass(base: RewrapProgress, previous: RewrapProgress | null): Promise<RewrapProgress> {
    const now = this.#o.now();
    const fields: FieldProgress[] = [];
    for (const field of this.#o.fields) {
      fields.push(
        emptyField(
          field.id,
          await this.#collection(base.tenant, field).countDocuments(this.#filter(base.tenant, field)),
        ),
      );
    }
    const { nextPassAt: _wait, ...rest } = base;
    const progress: RewrapProgress = {
      ...rest,
      state: 'Running',
      pass: base.pass + 1,
      passStartedAt: now,
      fields,
      failures: [],
      ...(previous?.completedVersion !== undefined
        ? {
            completedVersion: previous.completedVersion,
            ...(previous.completedAt ? { completedAt: previous.completedAt } : {}),
          }
        : {}),
      updatedAt: now,
    };
    await this.#store.save(progress);
    this.#o.logger.info(
      { tenant: base.tenant, keyName: base.keyName, targetVersion: base.targetVersion, pass: progress.pass },
      'keyring: rewrap pass started',
    );
    return progress;
  }

  /** Ends the pass: complete when clean and settled, else wait for the next one. */
  #endPass(progress: RewrapProgress): RewrapProgress {
    const now = this.#o.now();
    const failed = progress.fields.some((f) => f.failed > 0);
    const unresolved = progress.fields.some((f) => f.conflicts > 0);
    const settled = progress.passStartedAt.getTime() >= progress.settledAt.getTime();
    if (!failed && !unresolved && settled) {
      this.#o.logger.info(
        { tenant: progress.tenant, keyName: progress.keyName, targetVersion: progress.targetVersion },
        'keyring: rewrap complete',
      );
      return {
        ...progress,
        state: 'Done',
        completedVersion: progress.targetVersion,
        completedAt: now,
        updatedAt: now,
      };
    }
    if (failed) {
      this.#o.logger.warn(
        { tenant: progress.tenant, keyName: progress.keyName, failures: progress.failures },
        'keyring: rewrap pass left ciphertexts it could not re-wrap',
      );
      return {
        ...progress,
        state: 'Failed',
        nextPassAt: new Date(now.getTime() + this.#o.failedRetryMs),
        updatedAt: now,
      };
    }
    const next = settled ? now : progress.settledAt;
    return { ...progress, state: 'Waiting', nextPassAt: next, updatedAt: now };
  }

  // ---- batches -------------------------------------------------------------------------------

  async #prepare(progress: RewrapProgress, holder: string): Promise<PreparedBatch> {
    const fieldIndex = progress.fields.findIndex((f) => !f.finished);
    const batch: PreparedBatch = {
      progress,
      fieldIndex,
      exhausted: true,
      examined: 0,
      current: 0,
      otherKey: 0,
      failed: [],
      rewrites: [],
      holder,
    };
    const declaration = this.#o.fields[fieldIndex];
    const state = progress.fields[fieldIndex];
    if (!declaration || !state) return batch;
    const { tenant, keyName, targetVersion } = progress;
    const filter = this.#filter(tenant, declaration);
    if (state.cursor !== undefined) Object.assign(filter, { _id: { $gt: state.cursor } });
    const projection: Document = { [declaration.field]: 1 };
    if (declaration.aadField) projection[declaration.aadField] = 1;
    const docs = await this.#collection(tenant, declaration)
      .find(filter, { projection, sort: { _id: 1 }, limit: this.#o.batchSize })
      .toArray();
    batch.exhausted = docs.length < this.#o.batchSize;
    for (const doc of docs) {
      batch.lastId = doc._id;
      batch.examined++;
      const stored = valueAt(doc, declaration.field);
      if (typeof stored !== 'string' || stored.length === 0) {
        batch.current++; // nothing sealed here (a cleared field)
        continue;
      }
      const blob = Buffer.from(stored, 'base64');
      try {
        const sealedUnder = ciphertextKeyVersion(blob);
        if (sealedUnder.keyName !== keyName) {
          batch.otherKey++;
          continue;
        }
        if (sealedUnder.version >= targetVersion) {
          batch.current++;
          continue;
        }
        const aad = declaration.aadField ? valueAt(doc, declaration.aadField) : undefined;
        const result = await this.#o.keyring.rewrap(
          tenant,
          declaration.purpose,
          blob,
          aad === undefined ? {} : { aad: Buffer.from(String(aad)) },
        );
        batch.rewrites.push({ id: doc._id, previous: stored, next: result.ciphertext.toString('base64') });
      } catch (error) {
        if (!(error instanceof KeyringError)) throw error; // Mongo or programming errors: the caller retries
        batch.failed.push({ id: String(doc._id), code: error.code });
      }
    }
    return batch;
  }

  async #commit(batch: PreparedBatch): Promise<RewrapProgress> {
    const { progress, fieldIndex } = batch;
    const declaration = this.#o.fields[fieldIndex];
    const state = progress.fields[fieldIndex];
    if (!declaration || !state) {
      const ended = this.#endPass(progress);
      await this.#store.save(ended);
      return ended;
    }
    const collection = this.#collection(progress.tenant, declaration);
    let rewrapped = 0;
    let conflicts = 0;
    let current = batch.current;
    for (const rewrite of batch.rewrites) {
      const filter = {
        ...this.#filter(progress.tenant, declaration),
        _id: rewrite.id,
        [declaration.field]: rewrite.previous,
      } as Filter<Document>;
      const write = () => collection.updateOne(filter, { $set: { [declaration.field]: rewrite.next } });
      const { lock } = declaration;
      const result = lock
        ? await withDocumentLock(
            this.#database(progress.tenant, declaration).collection<DocumentLockDocument>(lock.collection),
            `${lock.idPrefix ?? ''}${String(rewrite.id)}`,
            write,
          )
        : await write();
      // Read back: FerretDB may let an unlocked writer that read the document before our write
      // put the old ciphertext back after it (it writes documents whole, unisolated).
      if (
        result.modifiedCount === 1 &&
        (await this.#holds(collection, rewrite.id, declaration, rewrite.next))
      ) {
        rewrapped++;
        continue;
      }
      // Someone wrote the field meanwhile: theirs stands. Is what they wrote still below the target?
      if (await this.#stillBelow(collection, rewrite.id, declaration, progress)) conflicts++;
      else current++;
    }
    const field: FieldProgress = {
      ...state,
      examined: state.examined + batch.examined,
      rewrapped: state.rewrapped + rewrapped,
      current: state.current + current,
      otherKey: state.otherKey + batch.otherKey,
      conflicts: state.conflicts + conflicts,
      failed: state.failed + batch.failed.length,
      ...(batch.lastId !== undefined ? { cursor: batch.lastId } : {}),
      finished: batch.exhausted,
    };
    const fields = progress.fields.map((f, i) => (i === fieldIndex ? field : f));
    let next: RewrapProgress = {
      ...progress,
      fields,
      rewrappedForTarget: progress.rewrappedForTarget + rewrapped,
      failures: [...progress.failures, ...batch.failed.map((f) => ({ field: declaration.id, ...f }))].slice(
        0,
        MAX_FAILURES_KEPT,
      ),
      updatedAt: this.#o.now(),
    };
    if (fields.every((f) => f.finished)) next = this.#endPass(next);
    await this.#store.save(next);
    return next;
  }

  async #holds(
    collection: Collection<Document>,
    id: unknown,
    declaration: EncryptedFieldDeclaration,
    value: string,
  ): Promise<boolean> {
    const doc = await collection.findOne({ _id: id } as Filter<Document>, {
      projection: { [declaration.field]: 1 },
    });
    return doc !== null && valueAt(doc, declaration.field) === value;
  }

  async #stillBelow(
    collection: Collection<Document>,
    id: unknown,
    declaration: EncryptedFieldDeclaration,
    progress: RewrapProgress,
  ): Promise<boolean> {
    const doc = await collection.findOne({ _id: id } as Filter<Document>, {
      projection: { [declaration.field]: 1 },
    });
    const stored = doc ? valueAt(doc, declaration.field) : undefined;
    if (typeof stored !== 'string' || stored.length === 0) return false;
    try {
      const sealedUnder = ciphertextKeyVersion(Buffer.from(stored, 'base64'));
      return sealedUnder.keyName === progress.keyName && sealedUnder.version < progress.targetVersion;
    } catch {
      return true; // unreadable: the next pass reports it as a failure
    }
  }

  #database(tenant: string, declaration: EncryptedFieldDeclaration): Db {
    return declaration.database === 'tenant'
      ? this.#o.client.db(mongoDatabaseName(tenant))
      : this.#o.platformDb;
  }

  #collection(tenant: string, declaration: EncryptedFieldDeclaration): Collection<Document> {
    return this.#database(tenant, declaration).collection(declaration.collection);
  }

  #filter(tenant: string, declaration: EncryptedFieldDeclaration): Filter<Document> {
    const filter: Filter<Document> = { [declaration.field]: { $exists: true } };
    if (declaration.database === 'platform') {
      if (!declaration.tenantField) throw new Error(`encrypted field ${declaration.id} names no tenantField`);
      filter[declaration.tenantField] = tenant;
    }
    return filter;
  }
}
