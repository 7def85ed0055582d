/**
 * Starting and stopping a service in order. On SIGINT/SIGTERM the HTTP server stops accepting and
 * drains in-flight requests, then background workers stop (consumers commit, relays flush), then
 * clients close. A drain that outlives its timeout ends the process with a non-zero code.
 */
import closeWithGrace from 'close-with-grace';
import type { Logger } from './logger.ts';

/** Anything with an orderly stop: a consumer, a relay, a database client. */
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

export interface Listener {
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}

export interface RunServiceOptions {
  app: Listener;
  host: string;
  port: number;
  logger: Logger;
  /** Stopped after the HTTP server has drained, in the order given (workers first, clients last). */
  stoppables?: Stoppable[];
  shutdownTimeoutMs: number;
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
  const { app, logger, stoppables = [] } = options;
  closeWithGrace({ delay: options.shutdownTimeoutMs, logger: false }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an uncaught error');
    else logger.info({ signal }, 'shutting down: draining in-flight work');
    await app.close();
    await stopInOrder(stoppables, logger);
    logger.info('stopped');
  });
  const address = await app.listen({ host: options.host, port: options.port });
  logger.info({ address }, 'listening');
}
