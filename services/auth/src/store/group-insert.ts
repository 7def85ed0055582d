/**
 * Group commit for inserts: documents written while an insert is in flight wait and go together
 * in the next `insertMany`. Each caller still resolves only once its own document is stored (or
 * rejects with its own error), so nothing is acknowledged before it is durable; under load the
 * database sees one operation for many logins. The Mongo-wire server here (FerretDB over
 * PostgreSQL) spends far more per operation than per document, so this is most of a login's
 * database cost.
 */
import type { Collection, Document, MongoBulkWriteError, OptionalUnlessRequiredId } from 'mongodb';

interface Pending<T> {
  document: OptionalUnlessRequiredId<T>;
  settle: { resolve: () => void; reject: (error: unknown) => void };
}

export class GroupInsert<T extends Document> {
  readonly #collection: Collection<T>;
  readonly #maxBatch: number;
  #queue: Pending<T>[] = [];
  #flushing = false;

  constructor(collection: Collection<T>, maxBatch = 64) {
    this.#collection = collection;
    this.#maxBatch = maxBatch;
  }

  insert(document: OptionalUnlessRequiredId<T>): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ document, settle: { resolve, reject } });
    if (!this.#flushing) void this.#flush();
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
