/**
 * A service's background work (outbox relays, Kafka consumers, sweepers): each declared once, with
 * a name, in the service's `workers/` and listed by its components; kit starts them before the
 * service listens and stops them after the HTTP server drained, in the order listed, so main.ts
 * and the test fixtures never wire start and stop by hand.
 *
 * Order matters on the way down: list first what feeds the others (a consumer that writes outbox
 * documents before the relay that publishes them), so each stop leaves nothing for a stopped one.
 */
import { type Stoppable, stopInOrder } from './lifecycle.ts';
import type { Logger } from './logger.ts';

export interface Worker extends Stoppable {
  /** Starts the work (a timer, a consumer joining its group); resolves once it runs. */
  start(): void | Promise<void>;
}

/** A worker from anything with start and stop (PeriodicTask, OutboxRelay, a consumer), named here. */
export function worker(
  name: string,
  parts: { start(): void | Promise<void>; stop(): Promise<void> },
): Worker {
  return { name, start: () => parts.start(), stop: () => parts.stop() };
}

/**
 * Starts each worker in order. If one fails to start, those already started are stopped again and
 * the error is thrown: a service never runs with part of its work missing.
 */
export async function startWorkers(workers: readonly Worker[], logger: Logger): Promise<void> {
  const started: Worker[] = [];
  for (const w of workers) {
    try {
      await w.start();
      started.push(w);
      logger.debug({ worker: w.name }, 'worker started');
    } catch (error) {
      logger.error({ worker: w.name, err: error }, 'worker failed to start');
      await stopInOrder(started, logger);
      throw error;
    }
  }
}

/** Stops each worker in the order listed, carrying on past one that fails (logged). */
export function stopWorkers(workers: readonly Worker[], logger: Logger): Promise<void> {
  return stopInOrder([...workers], logger);
}
