/**
 * Which service credential opens which messaging route, on the real servers
 * (routes/route-callers.ts). media may ask whether its user sees a conversation, and nothing else:
 * a leaked media credential reads no message and changes nothing; a service that never acts for
 * users here (auth, the notifier) is refused everywhere.
 */
import { randomBytes } from 'node:crypto';
import { ACTING_ROLES_HEADER, ACTING_USER_HEADER } from '@parley/contracts';
import { PARLEY_SERVICE_NAMES, type ServiceApp, ServiceCallers } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessagingFixture, openMessagingFixture } from './testing/messaging-fixture.ts';

const TOKENS = Object.fromEntries(
  PARLEY_SERVICE_NAMES.map((name) => [name, `${name}-credential-${randomBytes(12).toString('hex')}`]),
) as Record<(typeof PARLEY_SERVICE_NAMES)[number], string>;
type Caller = keyof typeof TOKENS;

let f: MessagingFixture;
let app: ServiceApp;
let conversationId: string;
let messageId: string;

beforeAll(async () => {
  f = await openMessagingFixture();
  app = await f.newApp({ callers: ServiceCallers.of(TOKENS) });
  await app.ready();
  const group = await f.call('alice', 'POST', '/conversations', {
    kind: 'group',
    name: 'g',
    memberIds: ['bob'],
  });
  conversationId = group.json().id;
  const sent = await f.call('alice', 'POST', `/conversations/${conversationId}/messages`, {
    clientMessageId: 'c-1',
    text: 'for members only',
  });
  messageId = sent.json().id;
});
afterAll(async () => {
  await app?.close();
  await f?.close();
});

async function call(
  caller: Caller,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  payload?: object,
) {
  const response = await app.inject({
    method,
    url: `/v1/tenants/${f.tenant}${path}`,
    headers: {
      'x-service-token': TOKENS[caller],
      [ACTING_USER_HEADER]: 'alice',
      [ACTING_ROLES_HEADER]: 'member',
    },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.body };
}

describe('what each service credential opens at the messaging service', () => {
  it("media's credential tells whether its user sees a conversation, and reads or changes nothing else", async () => {
    expect((await call('media', 'GET', `/conversations/${conversationId}`)).status).toBe(200);
    const history = await call('media', 'GET', `/conversations/${conversationId}/messages`);
    expect(history.status).toBe(403);
    expect(history.body).not.toContain('for members only');
    expect(
      (await call('media', 'GET', `/conversations/${conversationId}/messages/${messageId}`)).status,
    ).toBe(403);
    expect((await call('media', 'GET', `/conversations/${conversationId}/changes?since=0`)).status).toBe(403);
    const forged = await call('media', 'POST', `/conversations/${conversationId}/messages`, {
      clientMessageId: 'c-forged',
      text: 'sent with a leaked media credential',
    });
    expect(forged.status).toBe(403);
    expect(
      (await call('media', 'DELETE', `/conversations/${conversationId}/messages/${messageId}`)).status,
    ).toBe(403);
    const history2 = await f.call('alice', 'GET', `/conversations/${conversationId}/messages`);
    expect(history2.json().messages.map((m: { text?: string }) => m.text)).toContain('for members only');
    expect(history2.json().messages.map((m: { text?: string }) => m.text)).not.toContain(
      'sent with a leaked media credential',
    );
  });

  it("integrations' credential (bots) posts and reads as a member, and edits, deletes or reads changes never", async () => {
    expect((await call('integrations', 'GET', `/conversations/${conversationId}/messages`)).status).toBe(200);
    expect(
      (
        await call('integrations', 'POST', `/conversations/${conversationId}/messages`, {
          clientMessageId: 'c-bot',
          text: 'posted for a bot',
        })
      ).status,
    ).toBe(201);
    expect(
      (await call('integrations', 'DELETE', `/conversations/${conversationId}/messages/${messageId}`)).status,
    ).toBe(403);
    expect(
      (
        await call('integrations', 'PATCH', `/conversations/${conversationId}/messages/${messageId}`, {
          text: 'x',
        })
      ).status,
    ).toBe(403);
    expect(
      (await call('integrations', 'GET', `/conversations/${conversationId}/changes?since=0`)).status,
    ).toBe(403);
  });

  it("search's credential lists its user's conversations (to filter a query) and reads no message", async () => {
    const listed = await call('search', 'GET', '/conversations?archived=true&limit=200');
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body).conversations.map((c: { id: string }) => c.id)).toContain(conversationId);
    for (const path of [
      `/conversations/${conversationId}`,
      `/conversations/${conversationId}/messages`,
      `/conversations/${conversationId}/messages/${messageId}`,
      `/conversations/${conversationId}/changes?since=0`,
    ]) {
      const refused = await call('search', 'GET', path);
      expect(refused.status).toBe(403);
      expect(refused.body).not.toContain('for members only');
    }
    const forged = await call('search', 'POST', `/conversations/${conversationId}/messages`, {
      clientMessageId: 'from-search',
      text: 'forged',
    });
    expect(forged.status).toBe(403);
  });

  it("search's credential alone reads memberships (ids) and the tenant's message log, sealed", async () => {
    const memberships = await call('search', 'GET', '/memberships');
    expect(memberships.status).toBe(200);
    expect(JSON.parse(memberships.body).conversationIds).toContain(conversationId);
    // A member removed stops being listed at once (bob, removed by alice the owner).
    const removed = await f.call('alice', 'DELETE', `/conversations/${conversationId}/members/bob`);
    expect(removed.statusCode, removed.body).toBeLessThan(300);
    const asBob = await app.inject({
      method: 'GET',
      url: `/v1/tenants/${f.tenant}/memberships`,
      headers: {
        'x-service-token': TOKENS.search,
        [ACTING_USER_HEADER]: 'bob',
        [ACTING_ROLES_HEADER]: 'member',
      },
    });
    expect(asBob.json().conversationIds).not.toContain(conversationId);

    const log = await call('search', 'GET', '/message-log?limit=1');
    expect(log.status).toBe(200);
    const page = JSON.parse(log.body);
    expect(page.messages).toHaveLength(1);
    expect(page.nextCursor).toBeDefined(); // two messages were sent
    // The body as it rests: sealed, never the text.
    expect(log.body).not.toContain('for members only');
    expect(page.messages[0].sealed).toEqual(expect.any(String));
    const rest = await call('search', 'GET', `/message-log?cursor=${page.nextCursor}`);
    expect(JSON.parse(rest.body).messages.map((m: { messageId: string }) => m.messageId)).not.toContain(
      page.messages[0].messageId,
    );
    for (const caller of ['gateway', 'socket', 'media', 'integrations'] as const) {
      expect((await call(caller, 'GET', '/message-log')).status, caller).toBe(403);
      expect((await call(caller, 'GET', '/memberships')).status, caller).toBe(403);
    }
  });

  it('a service that never acts for users here is refused on every route', async () => {
    for (const caller of ['auth', 'notifier', 'compliance'] as const) {
      expect((await call(caller, 'GET', `/conversations/${conversationId}`)).status).toBeGreaterThanOrEqual(
        401,
      );
      expect(
        (await call(caller, 'GET', `/conversations/${conversationId}/messages`)).status,
      ).toBeGreaterThanOrEqual(401);
    }
  });
});
