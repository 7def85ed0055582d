/**
 * A conversation in headless Chromium while auth is down (web-stack.ts; auth's real listener
 * closed after sign-in): the members list the gateway enriches with display names from auth's
 * internal people/names route still lists every member, by id, with a notice that names cannot
 * be read; the senders show by id, and the conversation still sends and receives (the gateway
 * verifies tokens with the keys it already holds). Its own file, since auth stays down until
 * the stack closes.
 */
import { randomUUID } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedIn } from './gateway-stack.ts';
import { openWebStack, signedInPage, type WebStack } from './web-stack.ts';

let web: WebStack;
let ann: SignedIn;
let ben: SignedIn;

beforeAll(async () => {
  web = await openWebStack();
  [ann, ben] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
}, 240_000);

afterAll(async () => {
  await web?.close();
});

async function expectAccessible(page: Page, label: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`),
  ).toEqual([]);
}

describe('the members list while auth is down', () => {
  it('lists the members by id with a notice, senders by id, and the conversation still works', async () => {
    const created = await ann.client.POST('/api/v1/conversations', {
      body: { kind: 'group', name: 'Names room', memberIds: [ben.userId] },
    });
    const conversationId = created.data?.id ?? '';
    expect(conversationId).not.toBe('');
    const said = await ann.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: randomUUID(), text: 'before the outage' },
    });
    expect(said.response.status).toBe(201);
    const annName = ann.email.split('@')[0] ?? '';

    const page = await signedInPage(web, ben);
    await page.getByRole('link', { name: /Names room/ }).click();
    const list = page.getByRole('list', { name: 'Messages' });
    const first = list.locator('li[data-seq]', { hasText: 'before the outage' });
    await first.waitFor({ timeout: 15_000 });
    // With auth up: names, and no notice.
    await expect.poll(() => first.locator('.sender').textContent(), { timeout: 15_000 }).toBe(annName);
    await page.getByText('Members (2)').click();
    const members = page.getByRole('list', { name: 'Members' });
    await expect
      .poll(() => members.locator(`li[data-user="${ann.userId}"]`).textContent(), { timeout: 15_000 })
      .toBe(annName);
    expect(await page.getByText('Names cannot be read right now').count()).toBe(0);

    // Auth goes down; the API still lists the members, by id, and says the names are missing.
    await web.stack.auth.app.close();
    const listed = await ben.client.GET('/api/v1/conversations/{conversationId}/members', {
      params: { path: { conversationId } },
    });
    expect(listed.response.status).toBe(200);
    expect(listed.data?.namesUnavailable).toBe(true);
    expect(listed.data?.members.map((m) => m.userId).sort()).toEqual([ann.userId, ben.userId].sort());
    expect(listed.data?.members.every((m) => m.displayName === undefined)).toBe(true);

    // The page opened again (a reload: everything read afresh while auth is down).
    await page.reload();
    await page.getByRole('heading', { name: 'Names room' }).waitFor({ timeout: 15_000 });
    await page
      .getByText('Names cannot be read right now, so people are shown by their user ids.')
      .waitFor({ timeout: 15_000 });
    await page.getByText('Members (2)').click();
    expect(await members.locator(`li[data-user="${ann.userId}"]`).textContent()).toBe(ann.userId);
    expect(await members.locator(`li[data-user="${ben.userId}"]`).textContent()).toBe(`${ben.userId} (you)`);
    expect(await first.locator('.sender').textContent()).toBe(ann.userId);

    // Sending and receiving go on without auth.
    await page.getByLabel('Message Names room').fill('during the outage');
    await page.getByRole('button', { name: 'Send' }).click();
    await list.locator('li[data-seq]', { hasText: 'during the outage' }).waitFor({ timeout: 15_000 });
    const reply = await ann.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: { clientMessageId: randomUUID(), text: 'still here' },
    });
    expect(reply.response.status).toBe(201);
    await list.locator('li[data-seq]', { hasText: 'still here' }).waitFor({ timeout: 15_000 });
    await expectAccessible(page, 'conversation while auth is down');
  }, 120_000);
});
