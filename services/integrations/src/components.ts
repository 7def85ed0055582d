/**
 * The integrations service's object graph, built once from its settings and connections: used
 * by main.ts and by the test fixture (testing/integrations-fixture.ts) alike.
 */
import { EnvelopeEncryptor } from '@parley/crypto-client';
import { AddressPolicy, createGuardedFetch, type GuardedFetch } from '@parley/egress-guard';
import {
  type KeyEncryptionKeyConnection,
  type Keyring,
  type MasterKeyring,
  serviceKeyring,
} from '@parley/keyring';
import {
  type KafkaConnection,
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
import { PLATFORM_DATABASE } from '@parley/tenancy';
import { Registry } from 'prom-client';
import { Bots } from './domain/bots.ts';
import { IncomingWebhooks } from './domain/incoming-webhooks.ts';
import { WebhookDeliveries } from './domain/webhook-deliveries.ts';
import { WebhookEndpoints, WebhookTenants } from './domain/webhook-endpoints.ts';
import { WebhookSender } from './domain/webhook-sender.ts';
import type { IntegrationsSettings } from './settings.ts';
import { type DeliveryMetrics, deliveryMetrics, WebhookDeliverer } from './workers/webhook-deliverer.ts';
import { webhookEventsConsumer } from './workers/webhook-events-consumer.ts';

/** Only the gateway calls integrations: for tenant admins, for bots, for incoming webhooks. */
export const INTEGRATIONS_CALLERS = ['gateway'] as const;

export interface IntegrationsClients {
  logger: Logger;
  mongo: MongoConnection;
  redis: RedisConnection;
  /** The broker, for the outgoing-webhook consumer; tests of the admin routes alone leave it out. */
  kafka?: KafkaConnection;
  /** Needed unless `keyring` is given (webhook secrets and message bodies open with tenant keys). */
  masterKeys?: MasterKeyring;
  keks?: KeyEncryptionKeyConnection;
  /** A keyring already open over the tenant keys (a test sharing messaging's). */
  keyring?: Keyring;
}

export interface IntegrationsComponents extends ServiceFoundation {
  bots: Bots;
  incomingWebhooks: IncomingWebhooks;
  messaging: MessagingClient;
  webhookEndpoints: WebhookEndpoints;
  webhookDeliveries: WebhookDeliveries;
  webhookSender: WebhookSender;
  /** Also among `workers`. */
  deliverer: WebhookDeliverer;
  /** Registered on the app's /metrics by buildApp. */
  metrics: DeliveryMetrics;
}

export async function createComponents(
  settings: IntegrationsSettings,
  clients: IntegrationsClients,
  overrides: {
    callers?: ServiceCallers | string;
    tenantStatusCacheMs?: number;
    /** A test's consumer narrowed to its own tenants' topics (pattern) and group. */
    consumer?: { pattern: RegExp; groupId: string };
    /** A test's deliverer looks only in its own tenants. */
    webhookTenants?: () => Promise<string[]>;
  } = {},
): Promise<IntegrationsComponents> {
  const { logger, mongo, redis, kafka } = clients;
  const messaging = new MessagingClient({
    baseUrl: settings.MESSAGING_URL,
    serviceToken: settings.SERVICE_TOKEN,
  });
  const keyring = await serviceKeyring('integrations', settings, clients);
  const encryptor = new EnvelopeEncryptor({
    source: {
      generateDataKey: (tenant, purpose) => keyring.generateDataKey(tenant, purpose),
      decryptDataKey: (tenant, purpose, wrapped) => keyring.decryptDataKey(tenant, purpose, wrapped),
    },
  });
  const policy = AddressPolicy.parse(settings.WEBHOOK_ALLOWED_NETWORKS);
  const fetch: GuardedFetch = createGuardedFetch({ policy, connectTimeoutMs: settings.WEBHOOK_TIMEOUT_MS });
  const webhookTenants = new WebhookTenants(mongo.client.db(PLATFORM_DATABASE));
  const webhookEndpoints = new WebhookEndpoints({
    mongo: mongo.client,
    encryptor,
    policy,
    tenants: webhookTenants,
  });
  const webhookDeliveries = new WebhookDeliveries(mongo.client);
  const metrics = deliveryMetrics(new Registry());
  const webhookSender = new WebhookSender({
    fetch,
    timeoutMs: settings.WEBHOOK_TIMEOUT_MS,
    breakerFailures: settings.WEBHOOK_BREAKER_FAILURES,
    breakerOpenMs: settings.WEBHOOK_BREAKER_OPEN_MS,
    onBreak: (tenant) => metrics.breakerOpened.inc({ tenant }),
    // The receiver answers again: its backlog is due now rather than at each one's next attempt.
    onReset: (tenant, endpointId) => deliverer.breakerClosed(tenant, endpointId),
  });
  const deliverer = new WebhookDeliverer({
    endpoints: webhookEndpoints,
    deliveries: webhookDeliveries,
    sender: webhookSender,
    encryptor,
    tenants: overrides.webhookTenants ?? (() => webhookTenants.list()),
    logger,
    metrics,
    sweepMs: settings.WEBHOOK_SWEEP_MS,
    concurrency: settings.WEBHOOK_CONCURRENCY,
    timeoutMs: settings.WEBHOOK_TIMEOUT_MS,
    maxAttempts: settings.WEBHOOK_MAX_ATTEMPTS,
    retryInitialMs: settings.WEBHOOK_RETRY_INITIAL_MS,
    retryMaxMs: settings.WEBHOOK_RETRY_MAX_MS,
  });
  const consumer: Worker | undefined = kafka
    ? webhookEventsConsumer({
        kafka: kafka.kafka,
        logger,
        endpoints: webhookEndpoints,
        deliveries: webhookDeliveries,
        refreshMs: settings.TOPIC_REFRESH_MS,
        // New deliveries go to the deliverer in memory (enqueued held by it); the ones enqueued
        // due (a breaker not closed, a full queue) are looked for now rather than at the next sweep.
        handoff: deliverer,
        onEnqueued: () => deliverer.nudge(),
        ...(overrides.consumer ?? {}),
      })
    : undefined;
  const bots = new Bots(mongo.client);
  const workers: Worker[] = [
    ...(consumer ? [consumer] : []),
    { name: deliverer.name, start: () => deliverer.start(), stop: () => deliverer.stop() },
    { name: 'integrations.webhook-fetch', start: () => {}, stop: () => fetch.close() },
  ];
  return {
    logger,
    callers: overrides.callers ?? ServiceCallers.parse(settings.SERVICE_TOKENS),
    tenantGate: new TenantGate(redis.client, { cacheMs: overrides.tenantStatusCacheMs ?? 3_000 }),
    readiness: readinessOf(mongo, redis, ...(kafka ? [kafka] : [])),
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    bots,
    incomingWebhooks: new IncomingWebhooks(mongo.client, bots, messaging),
    messaging,
    webhookEndpoints,
    webhookDeliveries,
    webhookSender,
    deliverer,
    metrics,
    workers,
  };
}
