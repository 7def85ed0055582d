/**
 * The ioredis client's lifecycle. ioredis reconnects by itself; connect() here waits for the first
 * connection with retry, so a service does not start serving before Redis answers.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Stoppable } from '../lifecycle.ts';
import type { Logger } from '../logger.ts';
import { type ConnectRetryOptions, connectWithRetry } from '../retry.ts';

export interface RedisConnection extends Stoppable {
  client: Redis;
  ping(): Promise<void>;
  /** A second connection for SUBSCRIBE (a subscribed connection can run no other command). */
  duplicate(): Redis;
}

export async function connectRedis(
  url: string,
  logger: Logger,
  options: RedisOptions = {},
  retryOptions?: ConnectRetryOptions,
): Promise<RedisConnection> {
  const client = await connectWithRetry(
    'redis',
    async () => {
      const candidate = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 3,
        retryStrategy: (times) => Math.min(times * 200, 5_000),
        ...options,
      });
      // Without a listener ioredis reports each failed attempt as an unhandled error event.
      candidate.on('error', (error) =>
        logger.debug({ dependency: 'redis', reason: error.message }, 'redis error'),
      );
      try {
        await candidate.connect();
        return candidate;
      } catch (error) {
        candidate.disconnect();
        throw error;
      }
    },
    logger,
    retryOptions,
  );
  client.removeAllListeners('error');
  client.on('error', (error) => logger.warn({ dependency: 'redis', reason: error.message }, 'redis error'));
  return {
    name: 'redis',
    client,
    ping: async () => {
      await client.ping();
    },
    duplicate: () => client.duplicate(),
    stop: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
