/**
 * The integrations service's object graph, built once from its settings and connections: used
 * by main.ts and by the test fixture (testing/integrations-fixture.ts) alike.
 */
import {
  type Logger,
  type MongoConnection,
  type RedisConnection,
  readinessOf,
  ServiceCallers,
  type ServiceFoundation,
  TenantGate,
  type Worker,
} from '@parley/kit';
import { MessagingClient } from '@parley/messaging-client';
import { Bots } from './domain/bots.ts';
import { IncomingWebhooks } from './domain/incoming-webhooks.ts';
import type { IntegrationsSettings } from './settings.ts';

/** Only the gateway calls integrations: for tenant admins, for bots, for incoming webhooks. */
export const INTEGRATIONS_CALLERS = ['gateway'] as const;

export interface IntegrationsClients {
  logger: Logger;
  mongo: MongoConnection;
  redis: RedisConnection;
}

export interface IntegrationsComponents extends ServiceFoundation {
  bots: Bots;
  incomingWebhooks: IncomingWebhooks;
  messaging: MessagingClient;
}

export function createComponents(
  settings: IntegrationsSettings,
  clients: IntegrationsClients,
  overrides: { callers?: ServiceCallers | string; tenantStatusCacheMs?: number } = {},
): IntegrationsComponents {
  const { logger, mongo, redis } = clients;
  const messaging = new MessagingClient({
    baseUrl: settings.MESSAGING_URL,
    serviceToken: settings.SERVICE_TOKEN,
  });
  const bots = new Bots(mongo.client);
  const workers: Worker[] = [];
  return {
    logger,
    callers: overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS),
    tenantGate: new TenantGate(redis.client, { cacheMs: overrides.tenantStatusCacheMs ?? 3_000 }),
    readiness: readinessOf(mongo, redis),
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    bots,
    incomingWebhooks: new IncomingWebhooks(mongo.client, bots, messaging),
    messaging,
    workers,
  };
}
