/**
 * For integration tests: the integrations service assembled by createComponents over the real
 * stack (Mongo-wire, Redis for the tenant gate), pointed at the messaging service the test runs,
 * and what it wrote in the test's tenants removed afterwards.
 */
import {
  loadConfig,
  type MongoConnection,
  type RedisConnection,
  type ServiceApp,
  startWorkers,
  stopWorkers,
} from '@parley/kit';
import { createSilentLogger } from '@parley/kit/testing';
import { mongoDatabaseName } from '@parley/tenancy';
import { buildApp } from '../app.ts';
import { createComponents, type IntegrationsComponents } from '../components.ts';
import { BOT_TOKENS_COLLECTION, BOTS_COLLECTION } from '../domain/bots.ts';
import { INCOMING_WEBHOOKS_COLLECTION } from '../domain/incoming-webhooks.ts';
import { type IntegrationsSettings, integrationsSettingsSchema } from '../settings.ts';

export { BOT_TOKENS_COLLECTION, BOTS_COLLECTION };
export const INTEGRATIONS_COLLECTIONS = [
  BOTS_COLLECTION,
  BOT_TOKENS_COLLECTION,
  INCOMING_WEBHOOKS_COLLECTION,
];

export interface IntegrationsFixture {
  app: ServiceApp;
  components: IntegrationsComponents;
  settings: IntegrationsSettings;
  close(): Promise<void>;
}

export async function openIntegrationsFixture(options: {
  /** The tenants whose integrations collections are dropped at close. */
  tenants: string[];
  mongo: MongoConnection;
  redis: RedisConnection;
  messagingUrl: string;
  /** The credential integrations presents to messaging. */
  serviceToken: string;
  /** The credential it accepts from its caller (the gateway) here. */
  callerToken: string;
  settings?: Partial<IntegrationsSettings>;
}): Promise<IntegrationsFixture> {
  const logger = createSilentLogger('integrations');
  const settings: IntegrationsSettings = {
    ...loadConfig(integrationsSettingsSchema),
    MESSAGING_URL: options.messagingUrl,
    SERVICE_TOKEN: options.serviceToken,
    ...options.settings,
  };
  const components = createComponents(
    settings,
    { logger, mongo: options.mongo, redis: options.redis },
    { callers: options.callerToken, tenantStatusCacheMs: 0 },
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
      for (const tenant of options.tenants)
        for (const name of INTEGRATIONS_COLLECTIONS)
          await options.mongo.client
            .db(mongoDatabaseName(tenant))
            .collection(name)
            .drop()
            .catch(() => {});
    },
  };
}
