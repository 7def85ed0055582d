/**
 * For integration tests: one socket replica assembled as main.ts does (real Redis, Kafka and
 * Redis adapter from the env the global setup exports), listening on a free port, with the
 * settings a test names (messaging's URL and credential, an in-process key source).
 */
import {
  connectKafka,
  connectRedis,
  kafkaSettingsFromConfig,
  loadConfig,
  startWorkers,
  stopWorkers,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { buildApp, type SocketReplica } from '../app.ts';
import { createComponents, type SocketClients } from '../components.ts';
import { connectRedisAdapter } from '../realtime/redis-adapter.ts';
import { type SocketSettings, socketSettingsSchema } from '../settings.ts';

export interface SocketReplicaFixture {
  url: string;
  replica: SocketReplica;
  close(): Promise<void>;
}

export async function openSocketReplica(options: {
  settings: Partial<SocketSettings>;
  jwks: SocketClients['jwks'];
}): Promise<SocketReplicaFixture> {
  const settings = { ...loadConfig(socketSettingsSchema), ...options.settings };
  const logger = createSilentLogger('socket');
  const redis = await connectRedis(settings.REDIS_URL, logger);
  const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'socket-test'), logger);
  const adapter = await connectRedisAdapter(settings.REDIS_URL, settings.REDIS_SHARDED_ADAPTER);
  const replica = buildApp(
    createComponents(settings, {
      logger,
      redis,
      kafka,
      adapter,
      jwks: options.jwks,
      tenantStatusCacheMs: 0,
      drainSpreadMs: 200,
      tenantCheckIntervalMs: 500,
    }),
  );
  await startWorkers(replica.workers, logger);
  const url = await replica.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    replica,
    async close() {
      await replica.app.close();
      await stopWorkers(replica.workers, logger);
      await adapter.stop();
      await kafka.stop();
      await redis.stop();
    },
  };
}
