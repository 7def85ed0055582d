/**
 * Rate limits counted in this process and reconciled through Redis in the background, so the hot
 * path never waits on the network.
 *
 * Fixed windows per policy (`windowMs`). For each key (a user, a tenant, a source address) and
 * window, the process knows the total all gateways had reported to Redis at its last sync
 * (`remote`) and what it has admitted since (`unsynced`); a request is admitted while
 * `remote + unsynced < limit`. Every `syncIntervalMs` a pipeline INCRBYs each key's unsynced
 * count into `<prefix><key>:<window>` (expiring after two windows) and learns the new total, so
 * every gateway converges on the shared count within one sync. The price of no round trip per
 * request: between two syncs, N gateways may together admit up to N × (what each admits alone)
 * beyond the limit; with a 250 ms sync that is a fraction of one second's traffic. Redis down:
 * each gateway goes on limiting what it sees itself.
 *
 * No library fitted: @fastify/rate-limit either counts per process only or calls Redis on every
 * request (its Redis store), which is the round trip this avoids.
 */

export interface RateLimitPolicy {
  /** Names the policy in RateLimit headers: user, tenant, address... */
  name: string;
  limit: number;
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  policy: RateLimitPolicy;
  remaining: number;
  /** Seconds until the window ends (and the count starts again). */
  resetSeconds: number;
}

/** The Redis calls the reconciliation needs; ioredis's client satisfies it. */
export interface RateLimitStore {
  pipeline(): {
    incrby(key: string, increment: number): unknown;
    pexpire(key: string, ms: number): unknown;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
}

interface Counter {
  policy: RateLimitPolicy;
  window: number;
  remote: number;
  unsynced: number;
  /** Sent to Redis, not yet acknowledged. */
  inFlight: number;
}

export interface RateLimiterOptions {
  store?: RateLimitStore;
  /** Key prefix in Redis. */
  prefix?: string;
  syncIntervalMs?: number;
  /** At most this many counters are kept; the oldest go first (they belong to past windows). */
  maxCounters?: number;
  onSyncError?: (error: unknown) => void;
  now?: () => number;
}

export class RateLimiter {
  readonly name = 'rate-limiter';
  readonly #counters = new Map<string, Counter>();
  readonly #store: RateLimitStore | undefined;
  readonly #prefix: string;
  readonly #syncIntervalMs: number;
  readonly #maxCounters: number;
  readonly #onSyncError: (error: unknown) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;

  constructor(options: RateLimiterOptions = {}) {
    this.#store = options.store;
    this.#prefix = options.prefix ?? 'parley:gateway:ratelimit:';
    this.#syncIntervalMs = options.syncIntervalMs ?? 250;
    this.#maxCounters = options.maxCounters ?? 200_000;
    this.#onSyncError = options.onSyncError ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  /** Counts one request against `key` under `policy` if it is admitted; never waits. */
  take(policy: RateLimitPolicy, key: string): RateLimitDecision {
    const now = this.#now();
    const window = Math.floor(now / policy.windowMs);
    const id = `${policy.name}:${key}`;
    let counter = this.#counters.get(id);
    if (!counter || counter.window !== window) {
      if (counter) this.#counters.delete(id);
      counter = { policy, window, remote: 0, unsynced: 0, inFlight: 0 };
      this.#counters.set(id, counter);
      if (this.#counters.size > this.#maxCounters) {
        const oldest = this.#counters.keys().next().value;
        if (oldest !== undefined) this.#counters.delete(oldest);
      }
    }
    const used = counter.remote + counter.unsynced + counter.inFlight;
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * policy.windowMs - now) / 1000));
    if (used >= policy.limit) return { allowed: false, policy, remaining: 0, resetSeconds };
    counter.unsynced++;
    return { allowed: true, policy, remaining: policy.limit - used - 1, resetSeconds };
  }

  start(): void {
    if (!this.#store || this.#timer) return;
    this.#timer = setInterval(() => void this.sync(), this.#syncIntervalMs);
    this.#timer.unref();
  }

  /** Reports what was admitted since the last sync and learns every gateway's totals. */
  async sync(): Promise<void> {
    if (!this.#store) return;
    if (this.#syncing) return this.#syncing;
    this.#syncing = this.#syncOnce().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #syncOnce(): Promise<void> {
    const store = this.#store as RateLimitStore;
    const nowWindow = (policy: RateLimitPolicy) => Math.floor(this.#now() / policy.windowMs);
    const batch: { counter: Counter; sent: number }[] = [];
    const pipeline = store.pipeline();
    for (const [id, counter] of this.#counters) {
      if (counter.window !== nowWindow(counter.policy)) {
        this.#counters.delete(id);
        continue;
      }
      const sent = counter.unsynced;
      counter.inFlight += sent;
      counter.unsynced = 0;
      const key = `${this.#prefix}${id}:${counter.window}`;
      pipeline.incrby(key, sent);
      pipeline.pexpire(key, counter.policy.windowMs * 2);
      batch.push({ counter, sent });
    }
    if (batch.length === 0) return;
    try {
      const results = (await pipeline.exec()) ?? [];
      batch.forEach(({ counter, sent }, i) => {
        counter.inFlight -= sent;
        const [error, total] = results[i * 2] ?? [new Error('no answer'), undefined];
        if (error || typeof total !== 'number') {
          counter.unsynced += sent;
          return;
        }
        // The shared total includes what this process just sent.
        counter.remote = Math.max(counter.remote, total);
      });
    } catch (error) {
      for (const { counter, sent } of batch) {
        counter.inFlight -= sent;
        counter.unsynced += sent;
      }
      this.#onSyncError(error);
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.sync().catch(() => {});
  }
}
