/** A token bucket per socket: `perSecond` client events a second, bursts up to twice that. */
export class EventRateLimit {
  readonly #perSecond: number;
  readonly #capacity: number;
  #tokens: number;
  #at = Date.now();

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
    this.#capacity = perSecond * 2;
    this.#tokens = this.#capacity;
  }

  take(): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
