/**
 * Group commit for inserts: documents written while an insert is in flight wait and go together
 * in the next `insertMany`. Each caller still resolves only once its own document is stored (or
 * rejects with its own error), so nothing is acknowledged before it is durable; under load the
 * database sees one operation for many logins. The Mongo-wire server here (FerretDB over
 * PostgreSQL) spends far more per operation than per document, so this is most of a login's
 * database cost.
 *
 * Under steady load a group may also wait up to `lingerMs` for company before it is written, as
 * PostgreSQL's commit_delay does (and only, like it, when there is company to expect): the
 * linger applies only when another document arrived within the last `busyWindowMs`, so a lone
 * login on a quiet service is written at once. A full group (`maxBatch`) is written at once.
 */
import type { Collection, Document, MongoBulkWriteError, OptionalUnlessRequiredId } from 'mongodb';

interface Pending<T> {
  document: OptionalUnlessRequiredId<T>;
  settle: { resolve: () => void; reject: (error: unknown) => void };
}

export interface GroupInsertOptions {
  maxBatch?: number;
  /** How long a group may wait for more documents while the collection is busy (0: never). */
  lingerMs?: number;
  /** "Busy": the previous document arrived less than this long ago. */
  busyWindowMs?: number;
}

export class GroupInsert<T extends Document> {
  readonly #collection: Collection<T>;
  readonly #maxBatch: number;
  readonly #lingerMs: number;
  readonly #busyWindowMs: number;
  #queue: Pending<T>[] = [];
  #flushing = false;
  #linger: NodeJS.Timeout | undefined;
  #lastArrival = Number.NEGATIVE_INFINITY;

  constructor(collection: Collection<T>, options: GroupInsertOptions = {}) {
    this.#collection = collection;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#lingerMs = options.lingerMs ?? 0;
    this.#busyWindowMs = options.busyWindowMs ?? this.#lingerMs * 5;
  }

  insert(document: OptionalUnlessRequiredId<T>): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ document, settle: { resolve, reject } });
    const now = performance.now();
    const busy = now - this.#lastArrival < this.#busyWindowMs;
    this.#lastArrival = now;
    if (this.#flushing) return promise; // the running flush takes it next
    if (this.#linger && this.#queue.length < this.#maxBatch) return promise;
    if (busy && this.#lingerMs > 0 && this.#queue.length < this.#maxBatch) {
      this.#linger = setTimeout(() => {
        this.#linger = undefined;
        void this.#flush();
      }, this.#lingerMs);
      return promise;
    }
    clearTimeout(this.#linger);
    this.#linger = undefined;
    void this.#flush();
    return promise;
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        await this.#write(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #write(batch: Pending<T>[]): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only) {
      // Alone: the plain insert is the same command on the wire with less driver work around it.
      await this.#collection.insertOne(only.document).then(only.settle.resolve, only.settle.reject);
      return;
    }
    try {
      await this.#collection.insertMany(
        batch.map((p) => p.document),
        { ordered: false },
      );
      for (const p of batch) p.settle.resolve();
    } catch (error) {
      // With ordered: false every document is tried; only the ones named in writeErrors failed.
      const failed = new Map<number, unknown>();
      const writeErrors = (error as MongoBulkWriteError).writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      for (const writeError of list) failed.set(writeError.index, writeError);
      batch.forEach((p, index) => {
        if (list.length === 0) p.settle.reject(error);
        else if (failed.has(index)) p.settle.reject(failed.get(index));
        else p.settle.resolve();
      });
    }
  }
}
