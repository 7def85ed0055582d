/**
 * Threads and search in headless Chromium against the real stack (web-stack.ts with the search
 * service indexing the tenant's messages topic): a reply in a thread reaches the other person's
 * open conversation live (its reply count, then the thread), and never the main list; search
 * finds a message with its match highlighted, a message's own markup stays text, a `from:`
 * filter narrows, and a result opens its conversation.
 */
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedIn } from './gateway-stack.ts';
import { openWebStack, screenshotsDir, signedInPage as signInAs, type WebStack } from './web-stack.ts';

let web: WebStack;
let uma: SignedIn;
let vic: SignedIn;
let conversationId: string;

beforeAll(async () => {
  web = await openWebStack({ search: true });
  [uma, vic] = await Promise.all([web.stack.user(web.tenant), web.stack.user(web.tenant)]);
  const created = await uma.client.POST('/api/v1/conversations', {
    body: { kind: 'group', name: 'Field notes', memberIds: [vic.userId] },
  });
  conversationId = created.data?.id ?? '';
}, 240_000);

afterAll(async () => {
  await web?.close();
});

const signedInPage = (who: SignedIn) => signInAs(web, who);

async function expectAccessible(page: Page, label: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`),
  ).toEqual([]);
}

describe('threads', () => {
  it('a reply in a thread reaches the other person live: the count on the root, then the thread; not the main list', async () => {
    const umaPage = await signedInPage(uma);
    await umaPage.getByRole('link', { name: 'Field notes' }).click();
    await umaPage.locator('[data-live="true"]').waitFor({ timeout: 20_000 });
    await umaPage.getByLabel('Message Field notes').fill('The zebra crossing survey is ready');
    await umaPage.getByLabel('Message Field notes').press('Enter');
    const umaMessages = umaPage.getByRole('list', { name: 'Messages' });
    // Confirmed by the server (a pending copy has no seq yet).
    const umaRoot = umaMessages.locator('li[data-seq]', { hasText: 'The zebra crossing survey is ready' });
    await expect.poll(() => umaRoot.count(), { timeout: 10_000 }).toBe(1);

    const vicPage = await signedInPage(vic);
    await vicPage.getByRole('link', { name: /Field notes/ }).click();
    const vicRoot = vicPage
      .getByRole('list', { name: 'Messages' })
      .locator('li', { hasText: 'The zebra crossing survey is ready' });
    await vicRoot.getByRole('button', { name: 'Reply in thread' }).click({ timeout: 15_000 });
    const vicThread = vicPage.getByRole('complementary', { name: 'Thread' });
    await vicThread.getByLabel('Reply in thread').fill('Thanks, reading it now');
    await vicThread.getByRole('button', { name: 'Reply' }).click();
    await expect
      .poll(
        () => vicThread.getByRole('list', { name: 'Replies' }).getByText('Thanks, reading it now').count(),
        {
          timeout: 10_000,
        },
      )
      .toBe(1);
    await expect.poll(() => vicThread.locator('.pending').count(), { timeout: 10_000 }).toBe(0);
    await expectAccessible(vicPage, 'thread');
    await vicPage.screenshot({ path: join(screenshotsDir, 'thread.png') });

    // Uma's open conversation counts the reply (live), and its thread shows it.
    await umaRoot.getByRole('button', { name: '1 reply' }).waitFor({ timeout: 10_000 });
    expect(await umaMessages.getByText('Thanks, reading it now').count()).toBe(0);
    await umaRoot.getByRole('button', { name: '1 reply' }).click();
    const umaThread = umaPage.getByRole('complementary', { name: 'Thread' });
    await expect
      .poll(() => umaThread.getByText('Thanks, reading it now').count(), { timeout: 10_000 })
      .toBe(1);

    // On the server: the reply is in the thread, the main history has the root alone.
    const main = await uma.client.GET('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
    });
    expect(main.data?.messages.map((m) => m.text)).toEqual(['The zebra crossing survey is ready']);
  }, 120_000);
});

describe('search', () => {
  it('finds with highlights, keeps markup as text, narrows by from:, and opens the conversation', async () => {
    await vic.client.POST('/api/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId } },
      body: {
        clientMessageId: `hostile-${Date.now()}`,
        text: 'zebra <img src=x onerror="window.pwned=1"> stripes',
      },
    });
    const page = await signedInPage(uma);
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Search' }).waitFor();
    const results = page.getByRole('list', { name: 'Results' });
    // Indexing follows the messages topic: ask again until both messages are found.
    await expect
      .poll(
        async () => {
          await page.getByLabel('Search messages').fill('zebra');
          await page.getByRole('button', { name: 'Search', exact: true }).click();
          await page.getByRole('status').filter({ hasText: /found/i }).waitFor({ timeout: 5_000 });
          return results.getByRole('listitem').count();
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(2);
    expect(await results.locator('mark').allTextContents()).toEqual(expect.arrayContaining(['zebra']));
    // The hostile message is shown as its text: no element made of it, nothing ran.
    await results.getByText('<img src=x onerror="window.pwned=1">', { exact: false }).waitFor();
    expect(await results.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    await expectAccessible(page, 'search');
    await page.screenshot({ path: join(screenshotsDir, 'search.png') });

    await page.getByLabel('Search messages').fill(`zebra from:${uma.userId}`);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => results.getByRole('listitem').count(), { timeout: 10_000 }).toBe(1);
    expect(await results.textContent()).toContain('survey');

    await results.getByRole('link').first().click();
    await page.getByLabel('Message Field notes').waitFor({ timeout: 10_000 });
  }, 120_000);
});
