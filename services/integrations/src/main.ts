/** The integrations service's process: settings, connections, components, run. Nothing else. */
import { connectMongo, connectRedis, createLogger, loadConfigOrExit, runService } from '@parley/kit';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { integrationsSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(integrationsSettingsSchema);
const logger = createLogger({ service: 'integrations', level: settings.LOG_LEVEL });

const mongo = await connectMongo(settings.MONGO_URL, logger);
const redis = await connectRedis(settings.REDIS_URL, logger);
const components = createComponents(settings, { logger, mongo, redis });

await runService({
  app: buildApp(components),
  settings,
  logger,
  workers: components.workers,
  clients: [redis, mongo],
});
