/**
 * Starting and stopping a service in order: its workers start (worker.ts), then it listens. On
 * SIGINT/SIGTERM the HTTP server stops accepting and drains in-flight requests, then background
 * workers stop (consumers commit, relays flush), then clients close. A drain that outlives its
 * timeout ends the process with a non-zero code.
 */
import closeWithGrace from 'close-with-grace';
import type { Logger } from './logger.ts';
import { startWorkers, type Worker } from './worker.ts';

/** Anything with an orderly stop: a consumer, a relay, a database client. */
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

export interface Listener {
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}

/** Where a service listens and how long it may drain: serviceSettings' own fields. */
export interface ListenSettings {
  HOST: string;
  PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

export interface RunServiceOptions {
  app: Listener;
  logger: Logger;
  /** HOST, PORT and SHUTDOWN_TIMEOUT_MS from the service's settings (or host/port/shutdownTimeoutMs). */
  settings?: ListenSettings;
  host?: string;
  port?: number;
  shutdownTimeoutMs?: number;
  /** Started before the service listens; stopped after the HTTP server drained, in the order given. */
  workers?: readonly Worker[];
  /** The connections, closed last, in the order given (after every worker stopped). */
  clients?: readonly Stoppable[];
  /** Anything else stopped after the workers and before the clients, in the order given. */
  stoppables?: Stoppable[];
}

export async function stopInOrder(stoppables: Stoppable[], logger: Logger): Promise<void> {
  for (const stoppable of stoppables) {
    try {
      await stoppable.stop();
      logger.debug({ resource: stoppable.name }, 'stopped');
    } catch (error) {
      logger.warn({ resource: stoppable.name, err: error }, 'failed to stop cleanly');
    }
  }
}

export async function runService(options: RunServiceOptions): Promise<void> {
  const { app, logger, workers = [], clients = [], stoppables = [] } = options;
  const host = options.host ?? options.settings?.HOST;
  const port = options.port ?? options.settings?.PORT;
  const delay = options.shutdownTimeoutMs ?? options.settings?.SHUTDOWN_TIMEOUT_MS;
  if (host === undefined || port === undefined || delay === undefined)
    throw new Error(
      'runService needs settings (HOST, PORT, SHUTDOWN_TIMEOUT_MS) or host, port and shutdownTimeoutMs',
    );
  const inOrder = [...workers, ...stoppables, ...clients];
  closeWithGrace({ delay, logger: false }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an uncaught error');
    else logger.info({ signal }, 'shutting down: draining in-flight work');
    await app.close();
    await stopInOrder(inOrder, logger);
    logger.info('stopped');
  });
  await startWorkers(workers, logger);
  const address = await app.listen({ host, port });
  logger.info({ address, workers: workers.map((w) => w.name) }, 'listening');
}
