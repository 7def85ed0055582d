// Outgoing webhooks after an outage, on the real stack (gateway, messaging's relay to Kafka,
// integrations' consumer and deliverer, the local FerretDB): a receiver refuses while a backlog
// is sent, so every delivery is tried once, refused, and due again only after
// WEBHOOK_RETRY_INITIAL_MS / 2 at the soonest (10 minutes here: 5 at least), and the breaker
// opens. The receiver comes back; the next event probes the endpoint, the probe succeeds and the
// breaker closes, and that pulls the endpoint's backlog forward: every delivery arrives once,
// verified, well within the wait's bound (120 s). Without the pull-forward on breaker close the
// backlog would wait each delivery's own retry, 5 to 10 minutes away, and the wait times out.
import { randomUUID } from 'node:crypto';
import type { IntegrationsFixture } from '@parley/integrations-service/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GatewayStack, SignedIn } from './gateway-stack.ts';
import { Receiver, until } from './webhook-receiver.ts';
import { openWebhookStack, type WebhookStack } from './webhook-stack.ts';

/** Messages sent while the receiver is down. */
const BACKLOG = 6;

let webhooks: WebhookStack;
let stack: GatewayStack;
let integrations: IntegrationsFixture;
let admin: SignedIn;
let alice: SignedIn;

beforeAll(async () => {
  webhooks = await openWebhookStack('integrations-webhooks-recovery-test', {
    // A refused delivery is due again 5 to 10 minutes later: far beyond the waits below.
    WEBHOOK_RETRY_INITIAL_MS: 600_000,
    WEBHOOK_RETRY_MAX_MS: 600_000,
    WEBHOOK_MAX_ATTEMPTS: 50,
    WEBHOOK_BREAKER_FAILURES: 3,
    WEBHOOK_BREAKER_OPEN_MS: 300,
  });
  ({ stack, integrations } = webhooks);
  [admin, alice] = await Promise.all([
    stack.user(stack.tenantA, ['member', 'admin']),
    stack.user(stack.tenantA),
  ]);
}, 180_000);

afterAll(async () => {
  await webhooks?.close();
}, 240_000);

async function send(conversationId: string, text: string): Promise<string> {
  const sent = await alice.client.POST('/api/v1/conversations/{conversationId}/messages', {
    params: { path: { conversationId } },
    body: { clientMessageId: randomUUID(), text },
  });
  if (!sent.data) throw new Error(`not sent: ${JSON.stringify(sent.error)}`);
  return sent.data.id;
}

async function deliveries(endpointId: string) {
  const listed = await admin.client.GET('/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries', {
    params: { path: { endpointId }, query: { limit: 200 } },
  });
  expect(listed.response.status).toBe(200);
  return listed.data?.deliveries ?? [];
}

async function breakerOpenings(): Promise<number> {
  const metric = await integrations.components.metrics.breakerOpened.get();
  return metric.values.filter((v) => v.labels.tenant === stack.tenantA).reduce((sum, v) => sum + v.value, 0);
}

it('a backlog waiting far-off retries is delivered once each after the probe that closes the breaker', async () => {
  const receiver = new Receiver();
  await receiver.up();
  const made = await admin.client.POST('/api/v1/conversations', {
    body: { kind: 'group', name: 'recovery', memberIds: [alice.userId] },
  });
  if (!made.data) throw new Error('no conversation');
  const conversationId = made.data.id;
  const created = await admin.client.POST('/api/v1/integrations/outgoing-webhooks', {
    body: { url: receiver.url, eventTypes: ['message.created'], conversationIds: [conversationId] },
  });
  if (!created.data) throw new Error('no endpoint');
  const endpoint = created.data;
  await receiver.down();
  const openedBefore = await breakerOpenings();

  const backlog: string[] = [];
  for (let i = 0; i < BACKLOG; i++) backlog.push(await send(conversationId, `while down ${i}`));
  // Each delivery tried once and refused (the later ones by the breaker's probes), the breaker
  // open, and none due for minutes.
  const refused = await until(
    'one refused attempt of every delivery, and the breaker open',
    async () => {
      const all = await deliveries(endpoint.id);
      return all.length === BACKLOG &&
        all.every((d) => d.attempts.length === 1 && d.attempts[0]?.error) &&
        (await breakerOpenings()) > openedBefore
        ? all
        : undefined;
    },
    async () => ({ log: await deliveries(endpoint.id), breakerOpenings: await breakerOpenings() }),
  );
  const soonestRetry = Math.min(...refused.map((d) => Date.parse(d.nextAttemptAt ?? '')));
  expect(soonestRetry - Date.now()).toBeGreaterThan(120_000);
  expect(receiver.got).toEqual([]);

  // Back; the next event is the probe.
  await receiver.up();
  const probe = await send(conversationId, 'the receiver is back');
  const all = [...backlog, probe];
  const log = await until(
    'the probe and the whole backlog delivered',
    async () => {
      const listed = await deliveries(endpoint.id);
      return listed.length === all.length && listed.every((d) => d.status === 'delivered')
        ? listed
        : undefined;
    },
    async () => ({ got: receiver.got.length, log: await deliveries(endpoint.id) }),
  );
  // Once each (nothing is pending any more, so nothing else is on its way), each signature valid.
  const verified = receiver.verified(endpoint.secret);
  expect(verified.map((v) => v.payload.data.messageId).sort()).toEqual([...all].sort());
  expect(new Set(verified.map((v) => v.id)).size).toBe(all.length);
  expect(verified.map((v) => v.payload.data.text).sort()).toEqual(
    [...backlog.map((_, i) => `while down ${i}`), 'the receiver is back'].sort(),
  );
  // The backlog's second attempt was its delivery: pulled forward, not its own far-off retry.
  for (const d of log.filter((d) => d.messageId !== probe)) {
    expect(d.attempts.map((a) => a.statusCode ?? 'refused')).toEqual(['refused', 204]);
  }
  await receiver.down();
}, 240_000);
