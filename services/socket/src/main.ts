/** One socket replica's process: settings, connections, components, app, run. Nothing else. */
import {
  connectKafka,
  connectRedis,
  createLogger,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
} from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { connectRedisAdapter } from './realtime/redis-adapter.ts';
import { socketSettingsSchema } from './settings.ts';

// No Mongo and no tenant keys (so not keyring's connectServiceClients): Redis, the broker and
// socket.io's Redis adapter.
const settings = loadConfigOrExit(socketSettingsSchema);
const logger = createLogger({ service: 'socket', level: settings.LOG_LEVEL });
const redis = await connectRedis(settings.REDIS_URL, logger);
const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'socket'), logger);
const adapter = await connectRedisAdapter(settings.REDIS_URL, settings.REDIS_SHARDED_ADAPTER);
// The workers come with the replica: they need the socket.io server on the app's HTTP server.
const replica = buildApp(createComponents(settings, { logger, redis, kafka, adapter }));

await runService({
  app: replica.app,
  settings,
  logger,
  workers: replica.workers,
  clients: [adapter, kafka, redis],
});
