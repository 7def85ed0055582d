/** The compliance service's process: settings, connections, key material, components, run. Nothing else. */
import { connectKeyEncryptionKeys, loadConfiguredMasterKeys } from '@parley/keyring';
import {
  connectKafka,
  connectMongo,
  connectRedis,
  createLogger,
  kafkaSettingsFromConfig,
  loadConfigOrExit,
  runService,
} from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import { buildApp } from './app.ts';
import { createComponents } from './components.ts';
import { loadPreviousPublicKeys, loadSigningKey } from './domain/signing-key-file.ts';
import { complianceSettingsSchema } from './settings.ts';

const settings = loadConfigOrExit(complianceSettingsSchema);
const logger = createLogger({ service: 'compliance', level: settings.LOG_LEVEL });

const masterKeys = await loadConfiguredMasterKeys(settings);
const signingKey = await loadSigningKey(
  settings.AUDIT_SIGNING_KEY_PATH,
  settings.AUDIT_SIGNING_KEY_CREATE_IF_MISSING,
);
const previousKeys = await loadPreviousPublicKeys(settings.AUDIT_PREVIOUS_KEYS_PATH);
const mongo = await connectMongo(settings.MONGO_URL, logger);
const redis = await connectRedis(settings.REDIS_URL, logger);
const kafka = await connectKafka(kafkaSettingsFromConfig(settings, 'compliance'), logger);
// The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally.
const keks = await connectKeyEncryptionKeys(settings, mongo.client.db(PLATFORM_DATABASE), logger);
const components = await createComponents(settings, {
  logger,
  mongo,
  redis,
  kafka,
  keks,
  masterKeys,
  signingKey,
  previousKeys,
});
logger.info(
  { signingKeyId: signingKey.keyId, previousKeyIds: previousKeys.map((k) => k.keyId) },
  'compliance: audit signing keys loaded',
);

await runService({
  app: buildApp(components),
  settings,
  logger,
  workers: components.workers,
  clients: [kafka, redis, keks, mongo],
});
