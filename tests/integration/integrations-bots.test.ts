// Bots through the gateway, on the real stack: a tenant admin creates a bot, issues it a token
// (shown once, kept as a hash), adds it to a conversation, and the bot posts there with the SDK;
// a member sees the message from the bot's own user id. The attacks are performed: the token of
// tenant A cannot reach tenant B (neither by B's conversation id nor rewritten to name B), a bot
// cannot post where it was not added, a revoked token and a token without the scope are refused,
// and a member who is not an admin makes no bot. Messaging runs with per-service credentials, so
// integrations' own route scope there is real too.
import { randomBytes } from 'node:crypto';
import { SERVICE_TOKEN } from '@parley/auth-service/testing';
import {
  BOT_TOKENS_COLLECTION,
  BOTS_COLLECTION,
  type IntegrationsFixture,
  openIntegrationsFixture,
} from '@parley/integrations-service/testing';
import { type ServiceApp, ServiceCallers } from '@parley/kit';
import { freePort } from '@parley/kit/testing';
import { mongoDatabaseName } from '@parley/tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, openGatewayStack, type SignedIn } from './gateway-stack.ts';

const INTEGRATIONS_TOKEN = `integrations-${randomBytes(12).toString('hex')}`;

let stack: GatewayStack;
let scopedMessaging: ServiceApp;
let integrations: IntegrationsFixture;
let admin: SignedIn;
let alice: SignedIn;
let adminB: SignedIn;

beforeAll(async () => {
  const port = await freePort();
  stack = await openGatewayStack({ INTEGRATIONS_URL: `http://127.0.0.1:${port}` });
  // Messaging as deployed: each caller by its own credential, integrations only on its routes.
  scopedMessaging = await stack.messaging.newApp({
    callers: ServiceCallers.of({ gateway: SERVICE_TOKEN, integrations: INTEGRATIONS_TOKEN }),
  });
  const messagingUrl = await scopedMessaging.listen({ host: '127.0.0.1', port: 0 });
  integrations = await openIntegrationsFixture({
    tenants: [stack.tenantA, stack.tenantB],
    mongo: stack.messaging.mongo,
    redis: stack.messaging.redis,
    keyring: stack.messaging.keyring,
    messagingUrl,
    serviceToken: INTEGRATIONS_TOKEN,
    callerToken: SERVICE_TOKEN,
  });
  await integrations.app.listen({ host: '127.0.0.1', port });
  [admin, alice, adminB] = await Promise.all([
    stack.user(stack.tenantA, ['member', 'admin']),
    stack.user(stack.tenantA),
    stack.user(stack.tenantB, ['member', 'admin']),
  ]);
}, 180_000);

afterAll(async () => {
  await integrations?.close();
  await scopedMessaging?.close();
  await stack?.close();
}, 60_000);

async function group(owner: SignedIn, memberIds: string[], name = 'ops'): Promise<string> {
  const made = await owner.client.POST('/api/v1/conversations', { body: { kind: 'group', name, memberIds } });
  if (!made.data) throw new Error(`conversation not made: ${JSON.stringify(made.error)}`);
  return made.data.id;
}

async function botWithToken(scopes: ('messages:write' | 'messages:read' | 'conversations:read')[]) {
  const bot = await admin.client.POST('/api/v1/integrations/bots', {
    body: { name: 'deploy-bot', scopes: ['messages:write', 'messages:read', 'conversations:read'] },
  });
  expect(bot.response.status).toBe(201);
  const botId = bot.data?.id ?? '';
  const token = await admin.client.POST('/api/v1/integrations/bots/{botId}/tokens', {
    params: { path: { botId } },
    body: { scopes, expiresInDays: 1 },
  });
  expect(token.response.status).toBe(201);
  return {
    botId,
    userId: bot.data?.userId ?? '',
    tokenId: token.data?.id ?? '',
    token: token.data?.token ?? '',
  };
}

describe('bots through the gateway', () => {
  it('a bot added by an admin posts into its conversation; members read it from the bot; only a hash is kept', async () => {
    const conversationId = await group(admin, [alice.userId]);
    const bot = await botWithToken(['messages:write', 'messages:read', 'conversations:read']);
    expect(bot.token).toMatch(/^pbt_/);
    const added = await admin.client.PUT('/api/v1/integrations/bots/{botId}/conversations/{conversationId}', {
      params: { path: { botId: bot.botId, conversationId } },
    });
    expect(added.response.status).toBe(200);

    const asBot = stack.client(bot.token);
    const me = await asBot.GET('/api/v1/bot/me');
    expect(me.data).toMatchObject({ tenant: stack.tenantA, botId: bot.botId, userId: bot.userId });
    const listed = await asBot.GET('/api/v1/bot/conversations');
    expect(listed.data?.conversations.map((c) => c.id)).toEqual([conversationId]);
    const sent = await asBot.POST('/api/v1/bot/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: 'deploy-1', text: 'deployed v1.2.3' },
    });
    expect(sent.response.status).toBe(201);
    // The same clientMessageId again is the same message.
    const again = await asBot.POST('/api/v1/bot/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: 'deploy-1', text: 'deployed v1.2.3' },
    });
    expect(again.response.status).toBe(200);
    expect(again.data?.id).toBe(sent.data?.id);

    const history = await alice.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
    });
    const fromBot = history.data?.messages.filter((m) => m.senderId === bot.userId) ?? [];
    expect(fromBot.map((m) => m.text)).toEqual(['deployed v1.2.3']);
    const read = await asBot.GET('/api/v1/bot/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
    });
    expect(read.data?.messages.map((m) => m.text)).toContain('deployed v1.2.3');

    // Stored: the digest, never the token or its secret.
    const db = stack.messaging.mongo.client.db(mongoDatabaseName(stack.tenantA));
    const stored = await db.collection(BOT_TOKENS_COLLECTION).findOne({ _id: bot.tokenId as never });
    const secret = bot.token.split('_').at(-1) ?? '';
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored?.digest).toMatch(/^[0-9a-f]{64}$/);
    const tokens = await admin.client.GET('/api/v1/integrations/bots/{botId}/tokens', {
      params: { path: { botId: bot.botId } },
    });
    expect(JSON.stringify(tokens.data)).not.toContain(secret);
  });

  it("tenant A's bot reaches nothing of tenant B, nor a conversation of A it was not added to", async () => {
    const mine = await group(admin, [alice.userId], 'mine');
    const notAdded = await group(admin, [alice.userId], 'private');
    const theirs = await group(adminB, [], 'tenant b');
    const bot = await botWithToken(['messages:write', 'messages:read', 'conversations:read']);
    await admin.client.PUT('/api/v1/integrations/bots/{botId}/conversations/{conversationId}', {
      params: { path: { botId: bot.botId, conversationId: mine } },
    });
    const asBot = stack.client(bot.token);
    const post = (client: typeof asBot, conversationId: string, text: string) =>
      client.POST('/api/v1/bot/conversations/{conversationId}/messages', {
        params: { path: { conversationId } },
        body: { clientMessageId: `c-${randomBytes(4).toString('hex')}`, text },
      });

    // Tenant B's conversation id, with A's token: looked for in tenant A, where it is not.
    expect((await post(asBot, theirs, 'into b')).response.status).toBe(404);
    // A's token rewritten to name tenant B: B has no such token.
    const rewritten = bot.token.replace(`pbt_${stack.tenantA}_`, `pbt_${stack.tenantB}_`);
    const forged = stack.client(rewritten);
    expect((await post(forged, theirs, 'into b, forged')).response.status).toBe(401);
    expect((await forged.GET('/api/v1/bot/me')).response.status).toBe(401);
    // A conversation of A the bot was never added to.
    expect((await post(asBot, notAdded, 'not added')).response.status).toBe(404);
    const readNotAdded = await asBot.GET('/api/v1/bot/conversations/{conversationId}/messages', {
      params: { path: { conversationId: notAdded } },
    });
    expect(readNotAdded.response.status).toBe(404);
    // Nothing landed in B or in the conversation it was not added to.
    const inB = await adminB.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId: theirs } },
    });
    expect(inB.data?.messages.filter((m) => m.senderId === bot.userId)).toEqual([]);
    const inNotAdded = await alice.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId: notAdded } },
    });
    expect(inNotAdded.data?.messages.filter((m) => m.senderId === bot.userId)).toEqual([]);
    // Tenant B's admin neither sees nor manages A's bot.
    const bBots = await adminB.client.GET('/api/v1/integrations/bots');
    expect(bBots.data?.bots.map((b) => b.id)).not.toContain(bot.botId);
    const bGet = await adminB.client.GET('/api/v1/integrations/bots/{botId}', {
      params: { path: { botId: bot.botId } },
    });
    expect(bGet.response.status).toBe(404);
    const bDb = stack.messaging.mongo.client.db(mongoDatabaseName(stack.tenantB));
    expect(await bDb.collection(BOTS_COLLECTION).countDocuments({ _id: bot.botId as never })).toBe(0);
  });

  it('refuses a revoked token, a token without the scope, a garbled token, and a member creating bots', async () => {
    const conversationId = await group(admin, [alice.userId], 'scopes');
    const readOnly = await botWithToken(['messages:read']);
    await admin.client.PUT('/api/v1/integrations/bots/{botId}/conversations/{conversationId}', {
      params: { path: { botId: readOnly.botId, conversationId } },
    });
    const reader = stack.client(readOnly.token);
    const write = await reader.POST('/api/v1/bot/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: 'r-1', text: 'should not post' },
    });
    expect(write.response.status).toBe(403);
    expect((write.error as { type?: string }).type).toMatch(/insufficient-scope$/);
    const read = await reader.GET('/api/v1/bot/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
    });
    expect(read.response.status).toBe(200);

    const revoked = await admin.client.DELETE('/api/v1/integrations/bots/{botId}/tokens/{tokenId}', {
      params: { path: { botId: readOnly.botId, tokenId: readOnly.tokenId } },
    });
    expect(revoked.response.status).toBe(204);
    expect((await reader.GET('/api/v1/bot/me')).response.status).toBe(401);

    // A changed secret, and a token-looking string of no tenant.
    const changed = `${readOnly.token.slice(0, -4)}0000`;
    expect((await stack.client(changed).GET('/api/v1/bot/me')).response.status).toBe(401);
    expect((await stack.client(`pbt_${stack.tenantA}_garbage`).GET('/api/v1/bot/me')).response.status).toBe(
      401,
    );
    // A person's access token is not a bot token.
    expect((await alice.client.GET('/api/v1/bot/me')).response.status).toBe(401);

    const byMember = await alice.client.POST('/api/v1/integrations/bots', {
      body: { name: 'mine', scopes: ['messages:write'] },
    });
    expect(byMember.response.status).toBe(403);
    // A token may not name a scope its bot lacks.
    const narrow = await admin.client.POST('/api/v1/integrations/bots', {
      body: { name: 'narrow', scopes: ['messages:read'] },
    });
    const wider = await admin.client.POST('/api/v1/integrations/bots/{botId}/tokens', {
      params: { path: { botId: narrow.data?.id ?? '' } },
      body: { scopes: ['messages:write'] },
    });
    expect(wider.response.status).toBe(400);
  });
});

describe('incoming webhooks through the gateway', () => {
  it('a Slack-style {text} at the secret URL posts into its one conversation; a wrong secret or a deleted webhook posts nothing', async () => {
    const conversationId = await group(admin, [alice.userId], 'alerts');
    const other = await group(admin, [alice.userId], 'elsewhere');
    const created = await admin.client.POST('/api/v1/integrations/incoming-webhooks', {
      body: { name: 'ci', conversationId },
    });
    expect(created.response.status).toBe(201);
    const hook = created.data;
    if (!hook) throw new Error('no webhook');
    const url = `${stack.gateway.url}${hook.path}`;
    const post = (target: string, body: unknown) =>
      fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // Slack's other fields are accepted and ignored; `channel` does not redirect the post.
    const posted = await post(url, {
      text: 'build 42 passed',
      channel: other,
      username: 'ci',
      icon_emoji: ':ok:',
    });
    expect(posted.status).toBe(200);
    const answer = (await posted.json()) as { ok: boolean; messageId: string };
    expect(answer.ok).toBe(true);
    const history = await alice.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
    });
    const fromHook = history.data?.messages.filter((m) => m.senderId === hook.botUserId) ?? [];
    expect(fromHook.map((m) => m.text)).toEqual(['build 42 passed']);
    const elsewhere = await alice.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId: other } },
    });
    expect(elsewhere.data?.messages.filter((m) => m.senderId === hook.botUserId)).toEqual([]);

    const wrongSecret = url.replace(/[0-9a-f]{64}$/, '0'.repeat(64));
    expect((await post(wrongSecret, { text: 'forged' })).status).toBe(404);
    // The same id and secret under another tenant's path: that tenant has no such webhook.
    expect(
      (await post(url.replace(`/hooks/${stack.tenantA}/`, `/hooks/${stack.tenantB}/`), { text: 'x' })).status,
    ).toBe(404);
    expect((await post(url, { notText: 'x' })).status).toBe(400);
    const listed = await admin.client.GET('/api/v1/integrations/incoming-webhooks');
    expect(JSON.stringify(listed.data)).not.toContain(hook.path.split('/').at(-1));

    const byMember = await alice.client.POST('/api/v1/integrations/incoming-webhooks', {
      body: { name: 'mine', conversationId },
    });
    expect(byMember.response.status).toBe(403);
    // An admin of A cannot point a webhook at tenant B's conversation.
    const theirs = await group(adminB, [], 'b only');
    const intoB = await admin.client.POST('/api/v1/integrations/incoming-webhooks', {
      body: { name: 'into b', conversationId: theirs },
    });
    expect(intoB.response.status).toBe(404);

    const deleted = await admin.client.DELETE('/api/v1/integrations/incoming-webhooks/{webhookId}', {
      params: { path: { webhookId: hook.id } },
    });
    expect(deleted.response.status).toBe(204);
    expect((await post(url, { text: 'after delete' })).status).toBe(404);
  });
});
