/** The gateway's process: config, connections, components, app, signals. Nothing else. */
import { connectRedis, createLogger, loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createGatewayComponents } from './components.ts';
import { gatewaySettingsSchema } from './settings.ts';

const config = loadConfigOrExit(gatewaySettingsSchema);
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });

const redis = await connectRedis(config.REDIS_URL, logger);
const components = createGatewayComponents({ config, redis: redis.client, logger });

const app = buildApp({
  logger,
  components,
  readiness: { redis: redis.ping },
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
});

await runService({
  app,
  settings: config,
  logger,
  workers: components.workers,
  clients: [redis],
});
