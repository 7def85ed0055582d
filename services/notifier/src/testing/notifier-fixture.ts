/**
 * For integration tests: the notifier assembled by createComponents over the real stack (Mongo-wire,
 * Redis for the tenant gate, Kafka, and the SMTP server the stack's env names: Mailpit), its
 * consumer narrowed to the test's tenant topic under a group of its own, and what it wrote removed
 * afterwards. The test brings the tenant keys (a keyring: auth's, which sealed the deliveries).
 */
import type { Keyring } from '@parley/keyring';
import {
  type KafkaConnection,
  loadConfig,
  type MongoConnection,
  type RedisConnection,
  type ServiceApp,
  startWorkers,
  stopWorkers,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { kafkaTopic } from '@parley/tenancy';
import { buildApp } from '../app.ts';
import { createComponents, type NotifierComponents } from '../components.ts';
import { DELIVERIES_COLLECTION } from '../domain/delivery-log.ts';
import { type NotifierSettings, notifierSettingsSchema } from '../settings.ts';

export interface NotifierFixture {
  app: ServiceApp;
  components: NotifierComponents;
  settings: NotifierSettings;
  close(): Promise<void>;
}

export async function openNotifierFixture(options: {
  tenant: string;
  keyring: Keyring;
  mongo: MongoConnection;
  redis: RedisConnection;
  kafka?: KafkaConnection;
  /** The credential the notifier accepts from its callers here. */
  serviceToken: string;
  /** Settings the test changes (a closed SMTP port, short retries). */
  settings?: Partial<NotifierSettings>;
}): Promise<NotifierFixture> {
  const logger = createSilentLogger('notifier');
  const settings = { ...loadConfig(notifierSettingsSchema), ...options.settings };
  const groupId = `notifier-test-${options.tenant}`;
  const components = createComponents(
    settings,
    {
      logger,
      mongo: options.mongo,
      redis: options.redis,
      keyring: options.keyring,
      ...(options.kafka ? { kafka: options.kafka } : {}),
    },
    {
      callers: options.serviceToken,
      tenantStatusCacheMs: 0,
      consumer: {
        pattern: new RegExp(`^${kafkaTopic(options.tenant, 'notifications').replace(/\./g, '\\.')}$`),
        groupId,
      },
    },
  );
  const app = buildApp(components);
  await startWorkers(components.workers, logger);
  return {
    app,
    components,
    settings,
    async close() {
      await stopWorkers(components.workers, logger);
      await app.close();
      components.transport.close();
      await options.mongo.client
        .db(`parley_${options.tenant}`)
        .collection(DELIVERIES_COLLECTION)
        .drop()
        .catch(() => {});
      if (options.kafka) await options.kafka.admin.deleteGroups([groupId]).catch(() => {});
    },
  };
}
