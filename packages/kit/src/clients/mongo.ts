/** The MongoDB client's lifecycle: connect with retry, a readiness ping, close on shutdown. */
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { Stoppable } from '../lifecycle.ts';
import type { Logger } from '../logger.ts';
import { type ConnectRetryOptions, connectWithRetry } from '../retry.ts';

export interface MongoConnection extends Stoppable {
  client: MongoClient;
  ping(): Promise<void>;
}

export async function connectMongo(
  url: string,
  logger: Logger,
  options: MongoClientOptions = {},
  retryOptions?: ConnectRetryOptions,
): Promise<MongoConnection> {
  const client = await connectWithRetry(
    'mongodb',
    async () => {
      const candidate = new MongoClient(url, {
        serverSelectionTimeoutMS: 5_000,
        appName: 'parley',
        ...options,
      });
      try {
        await candidate.connect();
        return candidate;
      } catch (error) {
        await candidate.close().catch(() => {});
        throw error;
      }
    },
    logger,
    retryOptions,
  );
  return {
    name: 'mongodb',
    client,
    ping: async () => {
      await client.db('admin').command({ ping: 1 });
    },
    stop: () => client.close(),
  };
}
