/**
 * The stack both outgoing-webhook test files run: the gateway stack (tenants A and B), each
 * tenant's messages and members topics, messaging's relay publishing to them, and a real
 * integrations service listening where the gateway sends its integrations routes. Each file
 * gives the webhook settings it tests (retries, breaker); the rest is the same for both.
 */
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { type IntegrationsFixture, openIntegrationsFixture } from '@parley/integrations-service/testing';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger, freePort } from '@parley/kit/testing';
import { createMessagingRelay } from '@parley/messaging-service/relay';
import type { OutboxRelay } from '@parley/outbox';
import { searchSettingsSchema } from '@parley/search-service/settings';
import { kafkaTopic } from '@parley/tenancy';
import { type GatewayStack, openGatewayStack } from './gateway-stack.ts';

type WebhookSettings = NonNullable<Parameters<typeof openIntegrationsFixture>[0]['settings']>;

export interface WebhookStack {
  stack: GatewayStack;
  kafka: KafkaConnection;
  relay: OutboxRelay;
  integrations: IntegrationsFixture;
  close(): Promise<void>;
}

/** `clientId` names the test's Kafka client; `settings` are the integrations service's webhook settings. */
export async function openWebhookStack(clientId: string, settings: WebhookSettings): Promise<WebhookStack> {
  const port = await freePort();
  const stack = await openGatewayStack({ INTEGRATIONS_URL: `http://127.0.0.1:${port}` });
  const kafka = await connectKafka(
    kafkaSettingsFromConfig(loadConfig(searchSettingsSchema), clientId),
    createSilentLogger(),
  );
  const { tenantA, tenantB } = stack;
  const existing = await kafka.admin.listTopics();
  const wanted = [tenantA, tenantB]
    .flatMap((tenant) => [kafkaTopic(tenant, 'messages'), kafkaTopic(tenant, 'members')])
    .filter((t) => !existing.includes(t));
  if (wanted.length > 0)
    await kafka.admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((topic) => ({ topic, numPartitions: 1 })),
    });
  const relay = createMessagingRelay({
    producer: kafka.producer,
    store: stack.messaging.components.store,
    logger: createSilentLogger(),
    intervalMs: 200,
    tenants: () => [tenantA, tenantB],
  });
  relay.start();
  const integrations = await openIntegrationsFixture({
    tenants: [tenantA, tenantB],
    mongo: stack.messaging.mongo,
    redis: stack.messaging.redis,
    keyring: stack.messaging.keyring,
    kafka,
    messagingUrl: stack.messagingUrl,
    serviceToken: SERVICE_TOKEN,
    callerToken: SERVICE_TOKEN,
    settings: {
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      // The topics exist before the consumer starts: no re-listing (and rejoining) needed.
      TOPIC_REFRESH_MS: 60_000,
      WEBHOOK_SWEEP_MS: 100,
      WEBHOOK_TIMEOUT_MS: 2_000,
      ...settings,
    },
  });
  await integrations.app.listen({ host: '127.0.0.1', port });
  return {
    stack,
    kafka,
    relay,
    integrations,
    async close() {
      await integrations.close();
      await relay.stop();
      await stack.close();
      await kafka.stop();
    },
  };
}
