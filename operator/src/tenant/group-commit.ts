/**
 * Group commit for calls that a single server-side authority serialises (the KRaft controller
 * handles one CreateTopics / AlterUserScramCredentials / CreateAcls / AlterClientQuotas request
 * at a time, whatever its size). Many reconciles each sending their own small request queue up
 * behind each other; one request carrying all of them costs about as much as one small request
 * (measured here: 600 topics in one CreateTopics ~0.15 s, the same 600 as 100 requests ~3 s).
 *
 * The batch is whatever arrived while the previous call was in flight, so an idle operator adds
 * no delay (a lone request goes out at once) and a busy one sends fewer, larger calls. Every
 * caller's items are sent by a call that *started after* it submitted, so a read (a topic list)
 * is never older than the caller's request: level-based reconciles stay level-based.
 * (dataloader batches per event-loop tick instead; it neither waits for the call in flight nor
 * bounds the controller's queue, hence this small class.)
 */

export type ItemResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** Most items in one call (a request size the server accepts comfortably). */
  maxBatch?: number;
}

/**
 * `flush(items)` sends one call for the batch and returns one result per item, in order; when it
 * throws, every item of the batch fails with that error.
 */
export type Flush<I, O> = (items: I[]) => Promise<ItemResult<O>[]>;

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class GroupCommit<I, O> {
  readonly #flush: Flush<I, O>;
  readonly #maxBatch: number;
  #pending: Pending<I, O>[] = [];
  #running = false;

  constructor(flush: Flush<I, O>, options: GroupCommitOptions = {}) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch ?? 1_000;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#maxBatch);
        try {
          const results = await this.#flush(batch.map((p) => p.item));
          batch.forEach((p, i) => {
            const result = results[i];
            if (!result) p.reject(new Error('group commit: the call returned no result for this item'));
            else if (result.ok) p.resolve(result.value);
            else p.reject(result.error);
          });
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

/**
 * For a batch whose one call failed in a way that may be one item's fault (a topic name the
 * broker refuses): each item alone, so one tenant's bad request never fails another tenant.
 */
export async function eachAlone<I, O>(items: I[], call: (item: I) => Promise<O>): Promise<ItemResult<O>[]> {
  return Promise.all(
    items.map(async (item): Promise<ItemResult<O>> => {
      try {
        return { ok: true, value: await call(item) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
}

export const allOk = <O>(count: number, value: O): ItemResult<O>[] =>
  Array.from({ length: count }, () => ({ ok: true, value }));
