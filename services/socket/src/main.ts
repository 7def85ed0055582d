/** One socket replica's process: config, connections, components, app, signals. Nothing else. */
import {
  connectKafka,
  connectRedis,
  createLogger,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
} from '@parley/kit';
import { buildApp } from './app.ts';
import { createSocketComponents } from './components.ts';
import { connectRedisAdapter } from './realtime/redis-adapter.ts';
import { socketSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(socketSettingsSchema);
const logger = createLogger({ service: 'socket', level: settings.LOG_LEVEL });

const redis = await connectRedis(settings.REDIS_URL, logger);
const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'socket'), logger);
const adapter = await connectRedisAdapter(settings.REDIS_URL, settings.REDIS_SHARDED_ADAPTER);
const components = createSocketComponents({ settings, redis: redis.client, kafka: kafka.kafka, logger });
const replica = buildApp({
  components,
  adapter: adapter.factory,
  readiness: { redis: redis.ping, kafka: kafka.ping },
});

await runService({
  app: replica.app,
  settings,
  logger,
  workers: replica.workers,
  clients: [adapter, kafka, redis],
});
