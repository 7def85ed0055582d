/**
 * The integrations page in headless Chromium against the real stack (web-stack.ts with the
 * integrations service, its consumer on the tenant's real messages topic): an admin makes an
 * outgoing webhook in the page, sees its signing secret once, sees a delivery that the receiver
 * refused end as failed in the log, and replays it from the page to delivered (the same
 * webhook-id, signed with the secret the page showed); an admin makes a bot, issues it a token
 * in the page that the bot API accepts, adds it to a conversation where it posts, and revokes the
 * token in the page (then 401); an incoming webhook made in the page, its URL shown once, posts
 * into its conversation until it is deleted there. A member sees neither the link nor the page, and the API refuses
 * them (403). axe-core on the page; the integrations screenshot.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { createParleyClient } from '@parley/sdk';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebStack, screenshotsDir, signedInPage, type WebStack } from './web-stack.ts';
import { Receiver } from './webhook-receiver.ts';

let web: WebStack;

beforeAll(async () => {
  web = await openWebStack({ integrations: true });
}, 240_000);

afterAll(async () => {
  await web?.close();
}, 120_000);

async function integrationsPage(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Integrations', exact: true }).click();
  await page.getByRole('heading', { name: 'Outgoing webhooks' }).waitFor();
}

async function expectAccessible(page: Page, label: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`),
  ).toEqual([]);
}

describe('outgoing webhooks on the integrations page', () => {
  it('makes a webhook whose secret shows once; a refused delivery ends failed in the log and Replay delivers it', async () => {
    const receiver = new Receiver();
    receiver.status = 500;
    await receiver.up();
    try {
      const admin = await web.stack.user(web.tenant, ['member', 'admin']);
      const pat = await web.stack.user(web.tenant);
      const made = await admin.client.POST('/api/v1/conversations', {
        body: { kind: 'group', name: 'hooked', memberIds: [pat.userId] },
      });
      const conversationId = made.data?.id ?? '';
      expect(conversationId).not.toBe('');
      const page = await signedInPage(web, admin);
      await integrationsPage(page);
      await page.getByText('No outgoing webhooks yet.').waitFor({ timeout: 15_000 });

      await page.getByLabel('Endpoint URL').fill(receiver.url);
      await page.locator('#webhook-description').fill('ops receiver');
      // message.created is chosen already; message.deleted too.
      await page.getByLabel('message.deleted').check();
      await page.getByLabel('Only these conversation ids (optional; all when empty)').fill(conversationId);
      await page.getByRole('button', { name: 'Make webhook' }).click();
      const secretField = page.getByLabel('Signing secret (shown once)');
      await secretField.waitFor({ timeout: 15_000 });
      const secret = await secretField.inputValue();
      expect(secret).toMatch(/^whsec_/);
      const listed = await admin.client.GET('/api/v1/integrations/outgoing-webhooks');
      const endpoint = listed.data?.endpoints.find((e) => e.url === receiver.url);
      expect(endpoint?.eventTypes.sort()).toEqual(['message.created', 'message.deleted']);
      expect(endpoint?.conversationIds).toEqual([conversationId]);
      const row = page.locator(`tr[data-endpoint="${endpoint?.id}"]`);
      await row.waitFor();

      // The receiver refuses (500): three attempts, then failed, shown in the log.
      const sent = await pat.client.POST('/api/v1/conversations/{conversationId}/messages', {
        params: { path: { conversationId } },
        body: { clientMessageId: randomUUID(), text: 'deploy finished' },
      });
      expect(sent.response.status).toBe(201);
      await row.getByRole('button', { name: `Deliveries to ${receiver.url}` }).click();
      const delivery = page.locator('tr[data-delivery]');
      // The shared broker can take tens of seconds to hand a new consumer group its first record.
      await expect
        .poll(() => delivery.locator('.delivery-status').allTextContents(), { timeout: 150_000 })
        .toEqual(['failed']);
      expect(await delivery.locator('td').nth(2).textContent()).toBe('3');
      await expect.poll(() => delivery.locator('td').nth(3).textContent()).toContain('HTTP 500');
      expect(receiver.got.length).toBe(3);
      await expectAccessible(page, 'integrations page with a delivery log');

      // Replay from the page once the receiver accepts: delivered, the same webhook-id, signed.
      receiver.status = 204;
      await delivery.getByRole('button', { name: /^Replay message\.created / }).click();
      await expect
        .poll(() => delivery.locator('.delivery-status').allTextContents(), { timeout: 30_000 })
        .toEqual(['delivered']);
      expect(receiver.got.length).toBe(4);
      const ids = new Set(receiver.got.map((r) => String(r.headers['webhook-id'])));
      expect(ids.size).toBe(1);
      const last = receiver.got[3];
      if (!last) throw new Error('no replayed delivery');
      const payload = new Webhook(secret).verify(last.body, last.headers as Record<string, string>) as {
        type: string;
        data: { text?: string; conversationId: string };
      };
      expect(payload.type).toBe('message.created');
      expect(payload.data).toMatchObject({ text: 'deploy finished', conversationId });
      await page.screenshot({ path: join(screenshotsDir, 'integrations.png'), fullPage: true });

      // After a reload the endpoint is listed without its secret.
      await page.reload();
      await row.waitFor({ timeout: 15_000 });
      expect(await page.getByLabel('Signing secret (shown once)').count()).toBe(0);
      expect(await page.content()).not.toContain(secret.slice(6));

      // Deleting it in the page removes it from the API.
      await row.getByRole('button', { name: `Delete webhook to ${receiver.url}` }).click();
      await page.getByText('No outgoing webhooks yet.').waitFor({ timeout: 15_000 });
      const after = await admin.client.GET('/api/v1/integrations/outgoing-webhooks');
      expect(after.data?.endpoints.map((e) => e.id)).not.toContain(endpoint?.id);
    } finally {
      await receiver.down();
    }
  }, 300_000);
});

describe('bots on the integrations page', () => {
  it('makes a bot, issues a token the bot API accepts, adds the bot to a conversation, and revokes the token', async () => {
    const admin = await web.stack.user(web.tenant, ['member', 'admin']);
    const made = await admin.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'bots here' },
    });
    const conversationId = made.data?.id ?? '';
    expect(conversationId).not.toBe('');
    const page = await signedInPage(web, admin);
    await integrationsPage(page);
    const name = `deploy-${randomUUID().slice(0, 6)}`;
    await page.getByLabel('Bot name').fill(name);
    // messages:write is chosen already.
    await page.getByLabel('messages:read').check();
    await page.getByRole('button', { name: 'Make bot' }).click();
    const item = page.locator('li[data-bot]', { hasText: name });
    await item.waitFor({ timeout: 15_000 });
    const bots = await admin.client.GET('/api/v1/integrations/bots');
    const bot = bots.data?.bots.find((b) => b.name === name);
    expect(bot?.scopes.sort()).toEqual(['messages:read', 'messages:write']);

    await item.getByRole('button', { name: `Issue token for ${name}` }).click();
    const field = item.getByLabel('Bot token (shown once)');
    await field.waitFor({ timeout: 15_000 });
    const token = await field.inputValue();
    expect(token).toMatch(/^pbt_/);
    const asBot = createParleyClient({ baseUrl: web.url, accessToken: token });
    const me = await asBot.GET('/api/v1/bot/me');
    expect(me.data?.botId).toBe(bot?.id);
    expect(me.data?.scopes.sort()).toEqual(['messages:read', 'messages:write']);

    await item.getByLabel(`Add ${name} to conversation (id)`).fill(conversationId);
    await item.getByRole('button', { name: 'Add', exact: true }).click();
    await item
      .getByText(`${name} is a member of conversation ${conversationId}.`)
      .waitFor({ timeout: 15_000 });
    const posted = await asBot.POST('/api/v1/bot/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: randomUUID(), text: 'build green' },
    });
    expect(posted.response.status).toBe(201);
    await expectAccessible(page, 'integrations page with a bot and its token');

    const tokens = item.getByRole('list', { name: `Tokens of ${name}` }).locator('li');
    expect(await tokens.count()).toBe(1);
    await tokens.getByRole('button', { name: /^Revoke token / }).click();
    await tokens.getByText('revoked').waitFor({ timeout: 15_000 });
    expect(await field.count()).toBe(0);
    expect((await asBot.GET('/api/v1/bot/me')).response.status).toBe(401);

    await item.getByRole('button', { name: `Delete bot ${name}` }).click();
    await expect.poll(() => item.count(), { timeout: 15_000 }).toBe(0);
    const left = await admin.client.GET('/api/v1/integrations/bots');
    expect(left.data?.bots.map((b) => b.id)).not.toContain(bot?.id);
  }, 120_000);
});

describe('incoming webhooks on the integrations page', () => {
  it('makes one whose URL shows once and posts into its conversation, then deletes it: the URL stops', async () => {
    const admin = await web.stack.user(web.tenant, ['member', 'admin']);
    const made = await admin.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'alerts' },
    });
    const conversationId = made.data?.id ?? '';
    expect(conversationId).not.toBe('');
    const page = await signedInPage(web, admin);
    await integrationsPage(page);
    const name = `ci-${randomUUID().slice(0, 6)}`;
    await page.getByLabel('Incoming webhook name').fill(name);
    await page.getByLabel('Posts into conversation (id)').fill(conversationId);
    await page.getByRole('button', { name: 'Make incoming webhook' }).click();
    const field = page.getByLabel('Webhook URL (shown once)');
    await field.waitFor({ timeout: 15_000 });
    const url = await field.inputValue();
    expect(url.startsWith(`${web.url}/api/v1/hooks/${web.tenant}/`)).toBe(true);
    const post = (text: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    const posted = await post('nightly build passed');
    expect(posted.status).toBe(200);
    const history = await admin.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
    });
    expect(history.data?.messages.map((m) => m.text)).toContain('nightly build passed');
    const row = page.locator('tr[data-incoming]', { hasText: name });
    await row.waitFor({ timeout: 15_000 });
    await expectAccessible(page, 'integrations page with an incoming webhook');

    await page.reload();
    await row.waitFor({ timeout: 15_000 });
    expect(await page.getByLabel('Webhook URL (shown once)').count()).toBe(0);
    expect(await page.content()).not.toContain(url.split('/').at(-1) ?? url);
    await row.getByRole('button', { name: `Delete incoming webhook ${name}` }).click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    expect((await post('after delete')).status).toBe(404);
  }, 120_000);
});

describe('a member on the integrations page', () => {
  it('sees no link and no page, and the API refuses them bots and webhooks', async () => {
    const member = await web.stack.user(web.tenant);
    const page = await signedInPage(web, member);
    await page.goto(`${web.url}/#/integrations`);
    // The page waits for the profile (GET /api/v1/me) before it says this, and the links read the same one.
    await page.getByText("This page is for the organisation's admins.").waitFor({ timeout: 15_000 });
    const places = page.getByRole('navigation', { name: 'Places' });
    expect(await places.getByRole('link', { name: 'Account', exact: true }).count()).toBe(1);
    expect(await places.getByRole('link', { name: 'Integrations', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Make webhook' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Make bot' }).count()).toBe(0);

    const c = member.client;
    expect((await c.GET('/api/v1/integrations/outgoing-webhooks')).response.status).toBe(403);
    const create = await c.POST('/api/v1/integrations/outgoing-webhooks', {
      body: { url: 'https://example.com/hook', eventTypes: ['message.created'] },
    });
    expect(create.response.status).toBe(403);
    expect((await c.GET('/api/v1/integrations/bots')).response.status).toBe(403);
    const bot = await c.POST('/api/v1/integrations/bots', {
      body: { name: 'mine', scopes: ['messages:write'] },
    });
    expect(bot.response.status).toBe(403);
  }, 60_000);
});
