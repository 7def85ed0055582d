/**
 * For integration tests: the integrations service assembled by createComponents over the real
 * stack (Mongo-wire, Redis for the tenant gate), pointed at the messaging service the test runs,
 * and what it wrote in the test's tenants removed afterwards.
 */
import { randomUUID } from 'node:crypto';
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
import { mongoDatabaseName, PLATFORM_DATABASE } from '@parley/tenancy';
import { buildApp } from '../app.ts';
import { createComponents, type IntegrationsComponents } from '../components.ts';
import { BOT_TOKENS_COLLECTION, BOTS_COLLECTION } from '../domain/bots.ts';
import { INCOMING_WEBHOOKS_COLLECTION } from '../domain/incoming-webhooks.ts';
import { WEBHOOK_CLAIMS_COLLECTION, WEBHOOK_DELIVERIES_COLLECTION } from '../domain/webhook-deliveries.ts';
import { WEBHOOK_ENDPOINTS_COLLECTION, WEBHOOK_TENANTS_COLLECTION } from '../domain/webhook-endpoints.ts';
import { type IntegrationsSettings, integrationsSettingsSchema } from '../settings.ts';

export {
  BOT_TOKENS_COLLECTION,
  BOTS_COLLECTION,
  WEBHOOK_DELIVERIES_COLLECTION,
  WEBHOOK_ENDPOINTS_COLLECTION,
};
export const INTEGRATIONS_COLLECTIONS = [
  BOTS_COLLECTION,
  BOT_TOKENS_COLLECTION,
  INCOMING_WEBHOOKS_COLLECTION,
  WEBHOOK_ENDPOINTS_COLLECTION,
  WEBHOOK_DELIVERIES_COLLECTION,
  WEBHOOK_CLAIMS_COLLECTION,
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
  /** The tenant keys (a test shares messaging's keyring, so bodies its events seal open here). */
  keyring: Keyring;
  /**
   * With a broker: the outgoing-webhook consumer, narrowed to the test's tenants' messages and
   * members topics under a group of the test's own; the deliverer looks only in the test's tenants.
   */
  kafka?: KafkaConnection;
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
  // Tenant ids are DNS labels: nothing in them is special in a pattern.
  const topics = options.tenants.join('|');
  const components = await createComponents(
    settings,
    {
      logger,
      mongo: options.mongo,
      redis: options.redis,
      keyring: options.keyring,
      ...(options.kafka ? { kafka: options.kafka } : {}),
    },
    {
      callers: options.callerToken,
      tenantStatusCacheMs: 0,
      consumer: {
        pattern: new RegExp(`^parley\\.(${topics})\\.(messages|members)$`),
        groupId: `integrations.webhooks-test-${randomUUID()}`,
      },
      webhookTenants: async () => options.tenants,
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
      for (const tenant of options.tenants)
        for (const name of INTEGRATIONS_COLLECTIONS)
          await options.mongo.client
            .db(mongoDatabaseName(tenant))
            .collection(name)
            .drop()
            .catch(() => {});
      await options.mongo.client
        .db(PLATFORM_DATABASE)
        .collection<{ _id: string }>(WEBHOOK_TENANTS_COLLECTION)
        .deleteMany({ _id: { $in: options.tenants } })
        .catch(() => {});
    },
  };
}
