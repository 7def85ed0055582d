/** The media service's process: config, connections, components, app, signals. Nothing else. */
import { connectKeyEncryptionKeys, loadConfiguredMasterKeys, serviceKeyring } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  connectRedis,
  createLogger,
  createS3Client,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
} from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { mediaSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(mediaSettingsSchema);
const logger = createLogger({ service: 'media', level: settings.LOG_LEVEL });
const mongo = await connectMongo(settings.MONGO_URL, logger);
const redis = await connectRedis(settings.REDIS_URL, logger);
const s3 = createS3Client(settings);
const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'media'), logger);
// The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally: the same
// store as every other process with a keyring, or media could not open the data keys they wrap.
const keks = await connectKeyEncryptionKeys(settings, mongo.client.db(PLATFORM_DATABASE), logger);
const masterKeys = await loadConfiguredMasterKeys(settings);
const keyring = await serviceKeyring('media', settings, { logger, mongo, masterKeys, keks });
const components = createComponents(settings, { logger, mongo, redis, s3, keyring, kafka });
await runService({
  app: buildApp(components),
  host: settings.HOST,
  port: settings.PORT,
  logger,
  shutdownTimeoutMs: settings.SHUTDOWN_TIMEOUT_MS,
  workers: components.workers,
  stoppables: [kafka, redis, keks, mongo],
});
