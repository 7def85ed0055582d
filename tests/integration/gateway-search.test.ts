// Search through the gateway as a client would: users signed in through auth, messages sent
// through the gateway to messaging, published by messaging's relay to Kafka, indexed by the
// search service, and found with the SDK's GET /api/v1/search. The tenant comes from the token,
// so a user of tenant B searching for tenant A's words finds nothing; a malformed query is a 400.
import { randomUUID } from 'node:crypto';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import { connectKafka, type KafkaConnection, kafkaSettingsFromConfig, loadConfig } from '@parley/kit';
import { createSilentLogger, freePort } from '@parley/kit/testing';
import { createMessagingRelay } from '@parley/messaging-service/relay';
import type { OutboxRelay } from '@parley/outbox';
import { searchSettingsSchema } from '@parley/search-service/settings';
import { openSearchFixture, type SearchFixture } from '@parley/search-service/testing';
import { kafkaTopic } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';

let stack: GatewayStack;
let kafka: KafkaConnection;
let relay: OutboxRelay;
let search: SearchFixture;
let alice: SignedIn;
let bob: SignedIn;
let eve: SignedIn;

beforeAll(async () => {
  const searchPort = await freePort();
  stack = await openGatewayStack({ SEARCH_URL: `http://127.0.0.1:${searchPort}` });
  kafka = await connectKafka(
    kafkaSettingsFromConfig(loadConfig(searchSettingsSchema), 'gateway-search-test'),
    createSilentLogger(),
  );
  const { tenantA } = stack;
  const existing = await kafka.admin.listTopics();
  const wanted = [kafkaTopic(tenantA, 'messages'), kafkaTopic(tenantA, 'members')].filter(
    (t) => !existing.includes(t),
  );
  if (wanted.length > 0)
    await kafka.admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((topic) => ({ topic, numPartitions: 1 })),
    });
  // The stack's messaging publishes nothing by itself: a relay over its store, for tenant A, sweeping often.
  relay = createMessagingRelay({
    producer: kafka.producer,
    store: stack.messaging.components.store,
    logger: createSilentLogger(),
    intervalMs: 200,
    tenants: () => [tenantA],
  });
  relay.start();
  search = await openSearchFixture({
    tenant: tenantA,
    keyring: stack.messaging.keyring,
    mongo: stack.messaging.mongo,
    redis: stack.messaging.redis,
    kafka,
    messagingUrl: stack.messagingUrl,
    serviceToken: SERVICE_TOKEN,
  });
  await search.app.listen({ host: '127.0.0.1', port: searchPort });
  [alice, bob, eve] = await Promise.all([
    stack.user(stack.tenantA),
    stack.user(stack.tenantA),
    stack.user(stack.tenantB),
  ]);
}, 180_000);

afterAll(async () => {
  await search?.close();
  await relay?.stop();
  await stack?.close();
  await kafka?.stop();
}, 60_000);

describe('search through the gateway', () => {
  it('finds a member’s message, never for another tenant’s user, and answers a malformed query with 400', async () => {
    const opened = await alice.client.POST('/api/v1/conversations/direct', { body: { userId: bob.userId } });
    const conversationId = opened.data?.id ?? '';
    const sent = await alice.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: `c-${randomUUID()}`, text: 'the capybara budget is approved' },
    });
    expect(sent.response.status).toBe(201);
    const messageId = sent.data?.id;

    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = await bob.client.GET('/api/v1/search', { params: { query: { q: 'capybara' } } });
      expect(found.response.status).toBe(200);
      if (found.data?.results.some((r) => r.messageId === messageId)) {
        expect(found.data.results[0]?.highlights.join(' ')).toContain('<mark>capybara</mark>');
        break;
      }
      if (Date.now() > deadline) throw new Error(`never found: ${JSON.stringify(found.data)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    // Tenant B's user: its token names tenant B, so the search runs in B's index with B's memberships.
    for (const q of ['capybara', `in:${conversationId}`, `from:${alice.userId}`]) {
      const theirs = await eve.client.GET('/api/v1/search', { params: { query: { q } } });
      expect(theirs.response.status, q).toBe(200);
      expect(theirs.data?.results, q).toEqual([]);
    }

    const bad = await alice.client.GET('/api/v1/search', { params: { query: { q: '"unclosed' } } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.detail).toContain('unclosed quote');

    const anonymous = await stack.anonymous.GET('/api/v1/search', { params: { query: { q: 'capybara' } } });
    expect(anonymous.response.status).toBe(401);
  }, 120_000);
});
