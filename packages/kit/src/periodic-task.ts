/**
 * Work a service repeats on an interval (sweepers, expiries, guards): never two passes at once,
 * a failed pass logged and tried again at the next tick, and stop() waiting for the pass in
 * flight so a shutdown drains. set-interval-async (fixed strategy: the next pass starts an
 * interval after the previous one ended) does the scheduling; this adds the logging and a
 * runNow() that shares the single-flight rule with the timer, for tests and admin calls.
 */
import { clearIntervalAsync, type SetIntervalAsyncTimer, setIntervalAsync } from 'set-interval-async/fixed';
import type { Stoppable } from './lifecycle.ts';
import type { Logger } from './logger.ts';

export interface PeriodicTaskOptions<T> {
  /** Names the task in logs and in the shutdown order. */
  name: string;
  intervalMs: number;
  logger: Logger;
  /** One pass. Its result is returned by runNow() (e.g. how many items it removed). */
  run: () => Promise<T>;
  /** Logs a pass's result worth telling (e.g. "3 expired requests purged"). */
  onResult?: (result: T, logger: Logger) => void;
  /** Also run a pass right after start() instead of waiting a first interval. */
  runAtStart?: boolean;
}

export class PeriodicTask<T = unknown> implements Stoppable {
  readonly name: string;
  readonly #options: PeriodicTaskOptions<T>;
  #timer: SetIntervalAsyncTimer<[]> | undefined;
  #inFlight: Promise<T> | undefined;

  constructor(options: PeriodicTaskOptions<T>) {
    this.name = options.name;
    this.#options = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setIntervalAsync(() => this.#tick(), this.#options.intervalMs);
    if (this.#options.runAtStart) setImmediate(() => void this.#tick());
  }

  async #tick(): Promise<void> {
    try {
      const result = await this.runNow();
      this.#options.onResult?.(result, this.#options.logger);
    } catch (error) {
      this.#options.logger.warn({ err: error, task: this.name }, `${this.name}: pass failed; will retry`);
    }
  }

  /** One pass now, or the pass already running (never two at once). */
  runNow(): Promise<T> {
    this.#inFlight ??= this.#options.run().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Stops the timer and waits for a pass in flight. */
  async stop(): Promise<void> {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer) await clearIntervalAsync(timer);
    await this.#inFlight?.catch(() => undefined);
  }
}
