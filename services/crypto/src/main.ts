/** The crypto service's process: settings, connections, components, run. Nothing else. */
import { connectKeyEncryptionKeys, loadConfiguredMasterKeys } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  createLogger,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
} from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { cryptoSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(cryptoSettingsSchema);
const logger = createLogger({ service: 'crypto', level: settings.LOG_LEVEL });

const masterKeys = await loadConfiguredMasterKeys(settings);
const mongo = await connectMongo(settings.MONGO_URL, logger);
const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'crypto'), logger);
// The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally.
const keks = await connectKeyEncryptionKeys(settings, mongo.client.db(PLATFORM_DATABASE), logger);
const components = await createComponents(settings, { logger, mongo, kafka, keks, masterKeys });
logger.info({ masterKeys: masterKeys.toJSON() }, 'crypto: master keys loaded');

await runService({
  app: buildApp(components),
  settings,
  logger,
  workers: components.workers,
  clients: [kafka, keks, mongo],
});
