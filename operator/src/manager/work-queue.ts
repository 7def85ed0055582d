/**
 * The work queue between watches and reconcilers, with client-go's guarantees:
 * - a key is queued at most once however many events arrive for it (dirty set);
 * - a key is never processed by two workers at once: one added while it is processing is
 *   queued again when that processing is done;
 * - delayed adds (requeue-after, backoff) keep only the earliest pending timer per key;
 * - shutdown stops handing out keys and lets in-flight work finish.
 * Keys are "namespace/name". A library work queue with these guarantees does not exist for
 * Node (p-queue has concurrency but neither the dirty set nor per-key exclusion).
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
    } else {
      this.#queue.push(key);
    }
  }

  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /**
   * Queues a key now that waits on a delayed add (a backoff) due more than `ifLaterThanMs` from now,
   * cancelling that timer; true if it did. A key due sooner, or not waiting at all, is left alone.
   */
  expedite(key: string, ifLaterThanMs: number): boolean {
    const pending = this.#timers.get(key);
    if (this.#shuttingDown || !pending || pending.at - Date.now() <= ifLaterThanMs) return false;
    clearTimeout(pending.timer);
    this.#timers.delete(key);
    this.add(key);
    return true;
  }

  /** Next key to process (marks it processing), or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  /** Keys waiting (not processing, not delayed): the queue-depth metric. */
  get depth(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#processing.size;
  }

  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }
}
