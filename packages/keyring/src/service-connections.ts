/**
 * What the main.ts of a service over Mongo-wire, Redis, Kafka and tenant keys connects, in one
 * order (master keys first: a misconfigured key stops the process before any connection), so the
 * services' main.ts files do not each repeat it. `clients` is what runService closes last, in that
 * order (the broker before the stores its final flushes read).
 */
import {
  connectKafka,
  connectMongo,
  connectRedis,
  createLogger,
  kafkaSettingsFromConfig,
  type Stoppable,
} from '@parley/kit';
import { PLATFORM_DATABASE } from '@parley/tenancy';
import { connectKeyEncryptionKeys } from './key-encryption-key-server.ts';
import { loadConfiguredMasterKeys } from './master-keyring.ts';

type ServiceConnectionSettings = Parameters<typeof loadConfiguredMasterKeys>[0] &
  Parameters<typeof connectKeyEncryptionKeys>[0] &
  Parameters<typeof kafkaSettingsFromConfig>[0] & {
    LOG_LEVEL: Parameters<typeof createLogger>[0]['level'];
    MONGO_URL: string;
    REDIS_URL: string;
  };

/** `redis`: a service's own client options (auth pipelines its many small rate-limit calls). */
export interface ServiceConnectionOptions {
  redis?: Parameters<typeof connectRedis>[2];
}

export async function connectServiceClients(
  service: string,
  settings: ServiceConnectionSettings,
  options: ServiceConnectionOptions = {},
) {
  const logger = createLogger({ service, level: settings.LOG_LEVEL });
  const masterKeys = await loadConfiguredMasterKeys(settings);
  const mongo = await connectMongo(settings.MONGO_URL, logger);
  const redis = await connectRedis(settings.REDIS_URL, logger, options.redis);
  const kafka = await connectKafka(kafkaSettingsFromConfig(settings, service), logger);
  // The KEKs on a server of their own (KEK_MONGO_URL), or beside parley_platform locally.
  const keks = await connectKeyEncryptionKeys(settings, mongo.client.db(PLATFORM_DATABASE), logger);
  const clients: Stoppable[] = [kafka, keks, redis, mongo];
  return { logger, masterKeys, mongo, redis, kafka, keks, clients };
}
