// Outgoing webhooks through the gateway, on the real stack: messages sent through the gateway,
// published by messaging's relay to Kafka, read by integrations' consumer from each tenant's
// messages topic, enqueued in the tenant's Mongo database and POSTed to receivers on 127.0.0.1
// (allowed by WEBHOOK_ALLOWED_NETWORKS, as an operator would allow an on-prem receiver). Each
// receiver verifies the Standard Webhooks signature with the `standardwebhooks` package.
// Performed: private and link-local URLs are refused at creation; tenant B's admin cannot read, replay or delete tenant A's endpoints and
// deliveries, and a member is not an admin. On the shared broker a new consumer group's first
// records can take tens of seconds to arrive, hence the long bounds (liveness, not speed).
import { randomUUID } from 'node:crypto';
import { createEvent, MemberChangedEvent } from '@parley/contracts';
import type { IntegrationsFixture } from '@parley/integrations-service/testing';
import type { KafkaConnection } from '@parley/kit';
import { kafkaTopic } from '@parley/tenancy';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayStack, SignedIn } from './gateway-stack.ts';
import { type MemberPayload, type Received, Receiver, until } from './webhook-receiver.ts';
import { openWebhookStack, type WebhookStack } from './webhook-stack.ts';

/** How long the backlog test's receiver stays down after its first refusals (the minute: 60000). */
const DOWN_MS = Number(process.env.WEBHOOK_TEST_DOWN_MS ?? 15_000);
/** Messages sent while it is down. */
const BACKLOG = 6;

let webhooks: WebhookStack;
let stack: GatewayStack;
let kafka: KafkaConnection;
let integrations: IntegrationsFixture;
let admin: SignedIn;
let alice: SignedIn;
let adminB: SignedIn;

beforeAll(async () => {
  webhooks = await openWebhookStack('integrations-webhooks-test', {
    WEBHOOK_RETRY_INITIAL_MS: 100,
    WEBHOOK_RETRY_MAX_MS: 400,
    WEBHOOK_MAX_ATTEMPTS: 50,
    WEBHOOK_BREAKER_FAILURES: 3,
    WEBHOOK_BREAKER_OPEN_MS: 300,
  });
  ({ stack, kafka, integrations } = webhooks);
  [admin, alice, adminB] = await Promise.all([
    stack.user(stack.tenantA, ['member', 'admin']),
    stack.user(stack.tenantA),
    stack.user(stack.tenantB, ['member', 'admin']),
  ]);
}, 180_000);

afterAll(async () => {
  await webhooks?.close();
}, 240_000);

async function group(owner: SignedIn, memberIds: string[], name: string): Promise<string> {
  const made = await owner.client.POST('/api/v1/conversations', { body: { kind: 'group', name, memberIds } });
  if (!made.data) throw new Error(`conversation not made: ${JSON.stringify(made.error)}`);
  return made.data.id;
}

async function send(who: SignedIn, conversationId: string, text: string): Promise<string> {
  const sent = await who.client.POST('/api/v1/conversations/{conversationId}/messages', {
    params: { path: { conversationId } },
    body: { clientMessageId: randomUUID(), text },
  });
  if (!sent.data) throw new Error(`not sent: ${JSON.stringify(sent.error)}`);
  return sent.data.id;
}

async function endpoint(who: SignedIn, url: string, conversationIds?: string[]) {
  const created = await who.client.POST('/api/v1/integrations/outgoing-webhooks', {
    body: {
      url,
      eventTypes: ['message.created', 'message.edited', 'message.deleted'],
      ...(conversationIds ? { conversationIds } : {}),
    },
  });
  expect(created.response.status).toBe(201);
  if (!created.data) throw new Error('no endpoint');
  return created.data;
}

/** Times an endpoint's breaker opened in tenant A, so far. */
async function breakerOpenings(): Promise<number> {
  const metric = await integrations.components.metrics.breakerOpened.get();
  return metric.values.filter((v) => v.labels.tenant === stack.tenantA).reduce((sum, v) => sum + v.value, 0);
}

async function deliveries(who: SignedIn, endpointId: string) {
  const listed = await who.client.GET('/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries', {
    params: { path: { endpointId }, query: { limit: 200 } },
  });
  expect(listed.response.status).toBe(200);
  return listed.data?.deliveries ?? [];
}

describe('outgoing webhooks through the gateway', () => {
  it('delivers each subscribed event once, signed, with the text; other conversations are filtered out', async () => {
    const receiver = new Receiver();
    await receiver.up();
    const watched = await group(admin, [alice.userId], 'watched');
    const other = await group(admin, [alice.userId], 'other');
    const created = await endpoint(admin, receiver.url, [watched]);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    const first = await send(alice, watched, 'hello hooks');
    const second = await send(alice, watched, 'second one');
    await send(alice, other, 'not for this endpoint');
    const edited = await alice.client.PATCH('/api/v1/conversations/{conversationId}/messages/{messageId}', {
      params: { path: { conversationId: watched, messageId: first } },
      body: { text: 'hello hooks, edited' },
    });
    expect(edited.response.status).toBe(200);
    const deleted = await alice.client.DELETE('/api/v1/conversations/{conversationId}/messages/{messageId}', {
      params: { path: { conversationId: watched, messageId: second } },
    });
    expect(deleted.response.status).toBeLessThan(300);

    const got = await until(
      'four deliveries',
      () => (receiver.got.length >= 4 ? receiver.got : undefined),
      async () => ({ got: receiver.got.map((r) => r.body), log: await deliveries(admin, created.id) }),
    );
    expect(got.length).toBe(4);
    const verified = receiver.verified(created.secret);
    // Once each: four distinct webhook-ids, and each delivery in the log took one attempt.
    expect(new Set(verified.map((v) => v.id)).size).toBe(4);
    const byType = Object.fromEntries(
      verified.map((v) => [`${v.payload.type}:${v.payload.data.messageId}`, v]),
    );
    expect(byType[`message.created:${first}`]?.payload.data.text).toBe('hello hooks');
    expect(byType[`message.created:${second}`]?.payload.data.text).toBe('second one');
    expect(byType[`message.edited:${first}`]?.payload.data.text).toBe('hello hooks, edited');
    expect(byType[`message.deleted:${second}`]?.payload.data).not.toHaveProperty('text');
    for (const v of verified) expect(v.payload.data.conversationId).toBe(watched);

    const log = await until('the log to show all delivered', async () => {
      const all = await deliveries(admin, created.id);
      return all.length === 4 && all.every((d) => d.status === 'delivered') ? all : undefined;
    });
    for (const d of log) {
      expect(d.attemptCount).toBe(1);
      expect(d.attempts[0]?.statusCode).toBe(204);
      expect(verified.map((v) => v.id)).toContain(d.eventId);
    }
    // A tampered body does not verify with the library.
    const sample = got[0] as Received;
    expect(() =>
      new Webhook(created.secret).verify(`${sample.body} `, sample.headers as Record<string, string>),
    ).toThrow();
    // The secret is in the creation's answer only.
    const listed = await admin.client.GET('/api/v1/integrations/outgoing-webhooks');
    expect(listed.data?.endpoints.map((e) => e.id)).toContain(created.id);
    expect(JSON.stringify(listed.data)).not.toContain(created.secret.slice(6));
    await receiver.down();
  }, 240_000);

  it('a receiver that refuses for a while gets the whole backlog once when it is back; a replay sends the same webhook-id', async () => {
    const receiver = new Receiver();
    await receiver.up();
    const conversationId = await group(admin, [alice.userId], 'backlog');
    const created = await endpoint(admin, receiver.url, [conversationId]);
    // Down: its port refuses connections from now on.
    await receiver.down();
    const openedBefore = await breakerOpenings();

    const ids: string[] = [];
    for (let i = 0; i < BACKLOG; i++) ids.push(await send(alice, conversationId, `while down ${i}`));
    // Every event is in the log, tried and refused; the breaker opened (attempts were held back).
    const firstRefusal = await until(
      'refused attempts of every delivery, and the breaker open',
      async () => {
        const all = await deliveries(admin, created.id);
        return all.length === BACKLOG &&
          all.every((d) => d.attempts.some((a) => a.error)) &&
          (await breakerOpenings()) > openedBefore
          ? Date.now()
          : undefined;
      },
      async () => ({ log: await deliveries(admin, created.id), breakerOpenings: await breakerOpenings() }),
    );
    // Down for a while longer (WEBHOOK_TEST_DOWN_MS): retries and the breaker keep going meanwhile.
    await new Promise((r) => setTimeout(r, Math.max(0, firstRefusal + DOWN_MS - Date.now())));
    const during = await deliveries(admin, created.id);
    expect(during.map((d) => d.status)).toEqual(ids.map(() => 'pending'));
    expect(during.flatMap((d) => d.attempts).find((a) => a.error)?.error).toMatch(
      /ECONNREFUSED|fetch failed/,
    );
    expect(receiver.got).toEqual([]);
    // The breaker's probes went round the backlog, one delivery at a time, instead of spending
    // one delivery's attempts until it failed (what the deliverer did before).
    const tries = during.map((d) => d.attemptCount);
    expect(Math.max(...tries) - Math.min(...tries), `attempts per delivery: ${tries}`).toBeLessThanOrEqual(3);
    expect(Math.max(...tries)).toBeLessThan(integrations.settings.WEBHOOK_MAX_ATTEMPTS);

    await receiver.up();
    const after = await until(
      'every delivery of the backlog delivered',
      async () => {
        const all = await deliveries(admin, created.id);
        return all.length === BACKLOG && all.every((d) => d.status === 'delivered') ? all : undefined;
      },
      async () => ({ got: receiver.got.length, log: await deliveries(admin, created.id) }),
    );
    // Once each (nothing is pending any more, so nothing else is on its way), each signature valid.
    const verified = receiver.verified(created.secret);
    expect(verified.length).toBe(BACKLOG);
    expect(verified.map((v) => v.payload.data.messageId).sort()).toEqual([...ids].sort());
    expect(new Set(verified.map((v) => v.id)).size).toBe(BACKLOG);
    expect(verified.map((v) => v.payload.data.text).sort()).toEqual(
      ids.map((_, i) => `while down ${i}`).sort(),
    );
    for (const d of after) expect(d.attempts.at(-1)?.statusCode).toBe(204);

    const one = after[0];
    if (!one) throw new Error('no delivery');
    const replayed = await admin.client.POST(
      '/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries/{deliveryId}/replay',
      { params: { path: { endpointId: created.id, deliveryId: one.id } } },
    );
    expect(replayed.response.status).toBe(202);
    await until('the replay recorded', async () => {
      const d = await admin.client.GET(
        '/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries/{deliveryId}',
        { params: { path: { endpointId: created.id, deliveryId: one.id } } },
      );
      return d.data?.status === 'delivered' && d.data.attemptCount > one.attemptCount ? true : undefined;
    });
    expect(receiver.got.length).toBe(BACKLOG + 1);
    expect(receiver.verified(created.secret).at(-1)?.id).toBe(one.eventId);
    await receiver.down();
  }, 240_000);

  it("sends member.joined, member.role-changed and member.removed of the subscribed conversation; a record naming another tenant in A's topic reaches nobody", async () => {
    const receiverA = new Receiver();
    const receiverB = new Receiver();
    await receiverA.up();
    await receiverB.up();
    const bob = await stack.user(stack.tenantA);
    const conversationId = await group(admin, [alice.userId], 'membership');
    const memberTypes: ('member.joined' | 'member.removed' | 'member.role-changed')[] = [
      'member.joined',
      'member.removed',
      'member.role-changed',
    ];
    const madeA = await admin.client.POST('/api/v1/integrations/outgoing-webhooks', {
      body: { url: receiverA.url, eventTypes: memberTypes, conversationIds: [conversationId] },
    });
    // B's endpoint takes every conversation's member events: anything of A's reaching it is a leak.
    const madeB = await adminB.client.POST('/api/v1/integrations/outgoing-webhooks', {
      body: { url: receiverB.url, eventTypes: memberTypes },
    });
    if (!madeA.data || !madeB.data) throw new Error('no endpoint');
    const [mine, theirs] = [madeA.data, madeB.data];

    // First, on A's members topic, a record whose envelope names tenant B, about A's conversation
    // and a user of B: the consumer takes the tenant from the topic and refuses the envelope, so
    // neither A's endpoint (the topic's tenant) nor B's (the body's) gets it.
    const forged = createEvent(MemberChangedEvent, {
      tenant: stack.tenantB,
      source: 'messaging',
      payload: {
        conversationId,
        userId: adminB.userId,
        actorId: adminB.userId,
        role: 'member',
        change: 'joined',
        atSeq: 0,
        at: new Date().toISOString(),
      },
    });
    await kafka.producer.send({
      topic: kafkaTopic(stack.tenantA, 'members'),
      messages: [{ key: `${conversationId}:${adminB.userId}`, value: JSON.stringify(forged) }],
    });

    const added = await admin.client.POST('/api/v1/conversations/{conversationId}/members', {
      params: { path: { conversationId } },
      body: { userId: bob.userId },
    });
    expect(added.response.status).toBeLessThan(300);
    const promoted = await admin.client.PATCH('/api/v1/conversations/{conversationId}/members/{userId}', {
      params: { path: { conversationId, userId: bob.userId } },
      body: { role: 'admin' },
    });
    expect(promoted.response.status).toBeLessThan(300);
    const removed = await admin.client.DELETE('/api/v1/conversations/{conversationId}/members/{userId}', {
      params: { path: { conversationId, userId: bob.userId } },
    });
    expect(removed.response.status).toBeLessThan(300);
    const left = await alice.client.DELETE('/api/v1/conversations/{conversationId}/members/{userId}', {
      params: { path: { conversationId, userId: alice.userId } },
    });
    expect(left.response.status).toBeLessThan(300);

    const log = await until(
      'four member deliveries delivered',
      async () => {
        const all = await deliveries(admin, mine.id);
        return all.length === 4 && all.every((d) => d.status === 'delivered') ? all : undefined;
      },
      async () => ({ got: receiverA.got.map((r) => r.body), log: await deliveries(admin, mine.id) }),
    );
    const got = receiverA.verified<MemberPayload>(mine.secret);
    expect(got.length).toBe(4);
    expect(new Set(got.map((g) => g.id)).size).toBe(4);
    const changes = got.map((g) => `${g.payload.type}:${g.payload.data.change}:${g.payload.data.userId}`);
    expect(changes.sort()).toEqual(
      [
        `member.joined:added:${bob.userId}`,
        `member.role-changed:role-changed:${bob.userId}`,
        `member.removed:removed:${bob.userId}`,
        `member.removed:left:${alice.userId}`,
      ].sort(),
    );
    for (const g of got) expect(g.payload.data.conversationId).toBe(conversationId);
    const joined = got.find((g) => g.payload.type === 'member.joined');
    expect(joined?.payload.data).toMatchObject({ actorId: admin.userId, role: 'member' });
    const changed = got.find((g) => g.payload.type === 'member.role-changed');
    expect(changed?.payload.data).toMatchObject({ actorId: admin.userId, role: 'admin' });
    expect(got.find((g) => g.payload.type === 'member.removed')?.payload.data).not.toHaveProperty('role');
    expect(log.map((d) => d.userId).sort()).toEqual(
      [alice.userId, bob.userId, bob.userId, bob.userId].sort(),
    );
    expect(got.map((g) => g.payload.data.userId)).not.toContain(adminB.userId);
    // The forged record came first on a one-partition topic: read and passed over before these.
    expect(await deliveries(adminB, theirs.id)).toEqual([]);
    expect(receiverB.got).toEqual([]);
    for (const [who, id] of [
      [admin, mine.id],
      [adminB, theirs.id],
    ] as const) {
      const gone = await who.client.DELETE('/api/v1/integrations/outgoing-webhooks/{endpointId}', {
        params: { path: { endpointId: id } },
      });
      expect(gone.response.status).toBe(204);
    }
    await receiverA.down();
    await receiverB.down();
  }, 240_000);

  it('refuses a private, link-local or loopback URL at creation with a problem detail', async () => {
    for (const url of [
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:8080/',
    ]) {
      const refused = await admin.client.POST('/api/v1/integrations/outgoing-webhooks', {
        body: { url, eventTypes: ['message.created'] },
      });
      expect(refused.response.status).toBe(422);
      const problem = refused.error as { type?: string; detail?: string };
      expect(problem.type).toMatch(/webhook-url-refused$/);
      expect(problem.detail).toMatch(/not reachable from here/);
      expect(problem.detail).toMatch(/WEBHOOK_ALLOWED_NETWORKS/);
    }
    const listed = await admin.client.GET('/api/v1/integrations/outgoing-webhooks');
    expect(listed.data?.endpoints.map((e) => e.url)).not.toContain('http://10.0.0.1/hook');
  });

  it("tenant B's admin neither reads, replays nor deletes tenant A's endpoints and deliveries; B's endpoint gets none of A's events", async () => {
    const receiverA = new Receiver();
    const receiverB = new Receiver();
    await receiverA.up();
    await receiverB.up();
    const conversationId = await group(admin, [alice.userId], 'isolated');
    const mine = await endpoint(admin, receiverA.url, [conversationId]);
    const theirs = await endpoint(adminB, receiverB.url);
    await send(alice, conversationId, 'for tenant a only');
    await until(
      'A delivered',
      () => (receiverA.got.length >= 1 ? true : undefined),
      async () => ({ got: receiverA.got.length, log: await deliveries(admin, mine.id) }),
    );
    const [delivery] = await until('A logged', async () => {
      const all = await deliveries(admin, mine.id);
      return all.length > 0 && all[0]?.status === 'delivered' ? all : undefined;
    });
    if (!delivery) throw new Error('no delivery');

    const bList = await adminB.client.GET('/api/v1/integrations/outgoing-webhooks');
    expect(bList.data?.endpoints.map((e) => e.id)).toEqual([theirs.id]);
    const path = { endpointId: mine.id };
    expect(
      (await adminB.client.GET('/api/v1/integrations/outgoing-webhooks/{endpointId}', { params: { path } }))
        .response.status,
    ).toBe(404);
    expect(
      (
        await adminB.client.GET('/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries', {
          params: { path },
        })
      ).response.status,
    ).toBe(404);
    const replay = await adminB.client.POST(
      '/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries/{deliveryId}/replay',
      { params: { path: { endpointId: mine.id, deliveryId: delivery.id } } },
    );
    expect(replay.response.status).toBe(404);
    // A's delivery id under B's own endpoint: not B's delivery either.
    const underOwn = await adminB.client.POST(
      '/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries/{deliveryId}/replay',
      { params: { path: { endpointId: theirs.id, deliveryId: delivery.id } } },
    );
    expect(underOwn.response.status).toBe(404);
    const removed = await adminB.client.DELETE('/api/v1/integrations/outgoing-webhooks/{endpointId}', {
      params: { path },
    });
    expect(removed.response.status).toBe(404);
    expect(
      (await admin.client.GET('/api/v1/integrations/outgoing-webhooks/{endpointId}', { params: { path } }))
        .response.status,
    ).toBe(200);
    // A's event was enqueued for A's endpoint only; B's log is empty.
    expect(await deliveries(adminB, theirs.id)).toEqual([]);
    expect(receiverB.got).toEqual([]);
    // A member of A is not an admin.
    const byMember = await alice.client.GET('/api/v1/integrations/outgoing-webhooks');
    expect(byMember.response.status).toBe(403);

    // Deleting an endpoint removes its log too.
    const deleted = await admin.client.DELETE('/api/v1/integrations/outgoing-webhooks/{endpointId}', {
      params: { path },
    });
    expect(deleted.response.status).toBe(204);
    expect(
      (
        await admin.client.GET('/api/v1/integrations/outgoing-webhooks/{endpointId}/deliveries', {
          params: { path },
        })
      ).response.status,
    ).toBe(404);
    await receiverA.down();
    await receiverB.down();
  }, 240_000);
});
