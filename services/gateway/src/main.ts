/** The gateway's process: config, connections, components, app, signals. Nothing else. */
import { connectRedis, createLogger, loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createGatewayComponents } from './components.ts';
import { gatewaySettingsSchema } from './settings.ts';

const config = loadConfigOrExit(gatewaySettingsSchema);
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });

const redis = await connectRedis(config.REDIS_URL, logger);
const components = createGatewayComponents({ config, redis: redis.client, logger });
await components.authClient.start();
components.rateLimiter.start();
await components.audit.start();

const app = buildApp({
  logger,
  components,
  readiness: { redis: redis.ping },
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
});

await runService({
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  stoppables: [components.audit, components.rateLimiter, components.authClient, redis],
});
