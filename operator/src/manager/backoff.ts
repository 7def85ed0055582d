/**
 * Per-key exponential backoff for failed reconciles (controller-runtime's default item rate
 * limiter): base * 2^(failures-1), capped. A success forgets the key, so the next failure starts
 * small again.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5 * 60_000 };

export class PerKeyBackoff {
  readonly #failures = new Map<string, number>();
  readonly #options: BackoffOptions;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF) {
    this.#options = options;
  }

  /** Records one more failure of the key and returns how long to wait before the retry. */
  next(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    return Math.min(this.#options.maxMs, this.#options.baseMs * 2 ** Math.min(failures - 1, 30));
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }
}
